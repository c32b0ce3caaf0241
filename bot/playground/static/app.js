// Lumbar playground page: a Telegram-like private chat driven through the emulator's
// control API (/_emulator/...) and the playground's own API (/api/...). No dependencies.
"use strict";

const SAMPLE_LOCATION = { latitude: 52.52, longitude: 13.405 }; // Berlin
const STORE_KEY = "lumbar-playground-user";
const KIND_ICONS = { stretch: "🧘", water: "💧", checkin: "📋" };
const AVATAR_COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];

const state = {
  users: [],
  current: null,
  commands: [],
  menus: {}, // Telegram language code ("" for the default) -> the command menu set for it
  version: 0,
  rendered: new Map(), // message_id -> {sig, el}
  lastDay: null,
  zone: "UTC",
  clock: null, // {timestamp, zone, upcoming, ...}
  clockFetchedAt: 0,
  counts: new Map(), // user id -> message count in their chat
  seen: new Map(), // user id -> message count when last viewed
  previews: new Map(), // user id -> preview text
  pending: new Map(), // callback query id -> {button, at}
  stick: true,
  messageCount: 0,
  replyKeyboard: null,
};

const $ = (id) => document.getElementById(id);

// --- small helpers ------------------------------------------------------------------------
async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  let payload = null;
  try {
    payload = await response.json();
  } catch (error) {
    throw new Error(`HTTP ${response.status}`);
  }
  if (!payload.ok) {
    const error = new Error(payload.error || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return payload.result;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function safeUrl(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return ["http:", "https:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
  } catch (error) {
    return null;
  }
}

function avatarColor(id) {
  return AVATAR_COLORS[Math.abs(Number(id)) % AVATAR_COLORS.length];
}

function currentUser() {
  return state.users.find((u) => u.id === state.current) || null;
}

function formatter(options, zone) {
  try {
    return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: zone || "UTC" });
  } catch (error) {
    return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: "UTC" });
  }
}

const fmtTime = (date, zone) => formatter({ hour: "2-digit", minute: "2-digit" }, zone).format(date);
const fmtDay = (date, zone) =>
  formatter({ weekday: "long", day: "numeric", month: "long" }, zone).format(date);
const fmtShortDay = (date, zone) =>
  formatter({ weekday: "short", day: "numeric", month: "short" }, zone).format(date);
const dayKey = (date, zone) =>
  formatter({ year: "numeric", month: "2-digit", day: "2-digit" }, zone).format(date);

// --- toast and alert ------------------------------------------------------------------------
let toastTimer = null;
function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 3200);
}

function alertBox(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
  $("alert-ok").focus();
}

// --- formatted text (Telegram entities -> DOM, never innerHTML) -------------------------------
function renderEntities(text, entities) {
  const fragment = document.createDocumentFragment();
  const sorted = (entities || [])
    .filter((e) => e && e.length > 0)
    .slice()
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  build(fragment, text, 0, text.length, sorted);
  return fragment;
}

// Telegram's server marks /commands and links in plain text; the emulator does not, so the
// page finds them itself (outside code, pre and existing links).
const AUTO = /(^|[\s(])(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?|https?:\/\/[^\s<>"]+[^\s<>".,;:!?)])(?=$|[\s.,;:!?)])/g;
const NO_AUTO = new Set(["code", "pre", "text_link", "url", "email", "bot_command"]);

function appendText(parent, text, auto) {
  if (!auto) { parent.appendChild(document.createTextNode(text)); return; }
  let last = 0;
  for (const match of text.matchAll(AUTO)) {
    const start = match.index + match[1].length;
    const token = match[2];
    if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
    const type = token.startsWith("/") ? "bot_command" : "url";
    const { outer } = entityNode({ type }, token);
    outer.textContent = token;
    parent.appendChild(outer);
    last = start + token.length;
  }
  if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
}

function build(parent, text, start, end, entities, auto = true) {
  let pos = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    const from = Math.max(entity.offset, start);
    const to = Math.min(entity.offset + entity.length, end);
    if (from >= end) break;
    if (from < pos || to <= from) { i += 1; continue; }
    if (from > pos) appendText(parent, text.slice(pos, from), auto);
    let j = i + 1;
    const inner = [];
    while (j < entities.length && entities[j].offset < to) { inner.push(entities[j]); j += 1; }
    const { outer, target } = entityNode(entity, text.slice(from, to));
    build(target, text, from, to, inner, auto && !NO_AUTO.has(entity.type));
    parent.appendChild(outer);
    pos = to;
    i = j;
  }
  if (pos < end) appendText(parent, text.slice(pos, end), auto);
}

function link(href) {
  const a = el("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

function entityNode(entity, segment) {
  const simple = {
    bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code",
    blockquote: "blockquote", expandable_blockquote: "blockquote",
  };
  if (simple[entity.type]) {
    const node = el(simple[entity.type]);
    return { outer: node, target: node };
  }
  if (entity.type === "pre") {
    const pre = el("pre");
    const code = el("code");
    pre.appendChild(code);
    return { outer: pre, target: code };
  }
  if (entity.type === "spoiler") {
    const node = el("span", "spoiler");
    node.title = "Spoiler: click to reveal";
    node.addEventListener("click", () => node.classList.toggle("revealed"));
    return { outer: node, target: node };
  }
  if (entity.type === "text_link" || entity.type === "url" || entity.type === "email") {
    const raw = entity.type === "text_link" ? entity.url
      : entity.type === "email" ? `mailto:${segment}` : segment;
    const href = safeUrl(/^[a-z]+:/i.test(raw || "") ? raw : `https://${raw}`);
    const node = href ? link(href) : el("span");
    return { outer: node, target: node };
  }
  if (entity.type === "bot_command") {
    const node = el("span", "command");
    node.setAttribute("role", "button");
    node.addEventListener("click", () => sendText(segment.split("@")[0]));
    return { outer: node, target: node };
  }
  const node = el("span", `entity-${String(entity.type).replace(/[^a-z_]/g, "")}`);
  return { outer: node, target: node };
}

// --- one message ------------------------------------------------------------------------------
function messageSignature(m) {
  return JSON.stringify([m.content, m.reply_markup, m.edit_date, m.deleted]);
}

function textEdited(m) {
  if (!m.history || m.history.length === 0) return false;
  const before = m.history[m.history.length - 1].content || {};
  const now = m.content || {};
  return (before.text || before.caption || "") !== (now.text || now.caption || "");
}

function fileUrl(fileId, download) {
  return `/api/files/${encodeURIComponent(fileId)}${download ? "?download=1" : ""}`;
}

function humanSize(bytes) {
  if (!bytes) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function renderMessage(m) {
  const content = m.content || {};
  const row = el("div", `msg ${m.from_bot ? "in" : "out"}`);
  row.dataset.id = m.message_id;
  row.dataset.from = m.from_bot ? "bot" : "user";
  row.dataset.kind = m.kind;
  const bubble = el("div", "bubble");
  row.appendChild(bubble);
  const body = content.text !== undefined ? content.text : content.caption;
  const entities = content.text !== undefined ? content.entities : content.caption_entities;

  if (content.photo || content.animation) {
    const sizes = content.photo || [content.animation];
    const largest = sizes[sizes.length - 1];
    const img = el("img", "photo");
    img.alt = content.photo ? "photo" : "animation";
    if (largest.width && largest.height) { img.width = largest.width; img.height = largest.height; }
    img.src = fileUrl(largest.file_id);
    img.addEventListener("load", keepAtBottom);
    bubble.classList.add("has-photo");
    row.classList.add("media");
    if (!body) bubble.classList.add("photo-only");
    bubble.appendChild(img);
  } else if (content.document) {
    const doc = el("div", "document");
    doc.appendChild(el("span", "doc-icon", "📄"));
    const info = el("div");
    const a = el("a", null, content.document.file_name || "document");
    a.href = fileUrl(content.document.file_id, true);
    a.download = content.document.file_name || "document";
    info.appendChild(a);
    info.appendChild(el("span", "doc-size", humanSize(content.document.file_size)));
    doc.appendChild(info);
    bubble.appendChild(doc);
  } else if (content.location) {
    const { latitude, longitude } = content.location;
    bubble.appendChild(el("div", "text", `📍 Location\n${latitude.toFixed(4)}, ${longitude.toFixed(4)}`));
  } else if (content.contact) {
    bubble.appendChild(el("div", "text",
      `👤 ${content.contact.first_name || "Contact"}\n${content.contact.phone_number || ""}`));
  } else if (content.sticker) {
    bubble.appendChild(el("div", "sticker", content.sticker.emoji || "🖼"));
  } else if (content.voice) {
    bubble.appendChild(el("div", "text", `🎤 Voice message (${content.voice.duration || 0}s)`));
  } else if (body === undefined) {
    const service = el("div", "service", "service message");
    service.dataset.id = m.message_id;
    return service;
  }

  if (body) {
    const text = el("div", "text");
    text.appendChild(renderEntities(body, entities));
    bubble.appendChild(text);
  }
  const meta = el("span", "meta");
  if (textEdited(m)) meta.appendChild(el("span", "edited", "edited"));
  meta.appendChild(document.createTextNode(fmtTime(new Date(m.date * 1000), state.zone)));
  bubble.appendChild(meta);

  const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
  if (rows.length) {
    const keyboard = el("div", "inline-keyboard");
    for (const buttons of rows) {
      const line = el("div", "kb-row");
      for (const button of buttons) line.appendChild(inlineButton(m, button));
      keyboard.appendChild(line);
    }
    row.appendChild(keyboard);
  }
  return row;
}

function inlineButton(m, button) {
  if (button.url) {
    const href = safeUrl(button.url);
    const a = href ? link(href) : el("span");
    a.className = "kb-btn";
    a.textContent = `${button.text} ↗`;
    return a;
  }
  const node = el("button", "kb-btn", button.text);
  node.type = "button";
  if (button.callback_data === undefined) {
    node.disabled = true;
    node.title = "This kind of button does nothing in the playground";
    return node;
  }
  node.dataset.callback = button.callback_data;
  node.addEventListener("click", () => press(m, button.callback_data, node));
  return node;
}

// --- the chat ---------------------------------------------------------------------------------
function nearBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 90;
}

function scrollToBottom() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
  state.stick = true;
}

function keepAtBottom() {
  if (state.stick) scrollToBottom();
}

function resetChat() {
  state.rendered.clear();
  state.lastDay = null;
  state.messageCount = 0;
  $("message-list").replaceChildren();
  state.stick = true;
}

function showEmpty(list) {
  const empty = el("div", "empty-chat");
  empty.appendChild(el("strong", null, "Lumbar"));
  empty.appendChild(el("span", null,
    "A friendly coach for everyday lower back pain. Press START below to meet it."));
  list.appendChild(empty);
}

function applyChat(messages) {
  const list = $("message-list");
  const wasAtBottom = nearBottom();
  let appended = false;
  let changed = false;
  const visible = messages.filter((m) => !m.deleted);
  if (visible.length === 0 && state.rendered.size === 0) {
    if (!list.querySelector(".empty-chat")) { list.replaceChildren(); showEmpty(list); }
  } else {
    const empty = list.querySelector(".empty-chat");
    if (empty) empty.remove();
  }
  for (const m of messages) {
    const known = state.rendered.get(m.message_id);
    if (m.deleted) {
      if (known) { known.el.remove(); state.rendered.delete(m.message_id); changed = true; }
      continue;
    }
    const sig = messageSignature(m);
    if (known) {
      if (known.sig !== sig) {
        const fresh = renderMessage(m);
        known.el.replaceWith(fresh);
        state.rendered.set(m.message_id, { sig, el: fresh });
        changed = true;
      }
      continue;
    }
    const date = new Date(m.date * 1000);
    const key = dayKey(date, state.zone);
    if (key !== state.lastDay) {
      list.appendChild(el("div", "day", fmtDay(date, state.zone)));
      state.lastDay = key;
    }
    const node = renderMessage(m);
    list.appendChild(node);
    state.rendered.set(m.message_id, { sig, el: node });
    appended = true;
  }
  state.messageCount = visible.length;
  if (appended || (changed && wasAtBottom)) scrollToBottom();
  return appended || changed;
}

function applyReplyKeyboard(markup) {
  const box = $("reply-keyboard");
  const sig = JSON.stringify(markup || null);
  if (sig === state.replyKeyboard) return;
  state.replyKeyboard = sig;
  box.replaceChildren();
  const rows = (markup && markup.keyboard) || [];
  box.hidden = rows.length === 0;
  for (const buttons of rows) {
    const line = el("div", "kb-row");
    for (const raw of buttons) {
      const button = typeof raw === "string" ? { text: raw } : raw;
      const node = el("button", "reply-btn", button.text);
      node.type = "button";
      if (button.request_location) node.title = "Sends a sample location (Berlin)";
      node.dataset.text = button.text;
      node.addEventListener("click", () => tap(button));
      line.appendChild(node);
    }
    box.appendChild(line);
  }
}

function updateStartButton() {
  const fresh = state.messageCount === 0 && state.rendered.size === 0;
  $("start-button").hidden = !fresh;
  $("composer").hidden = fresh;
}

// --- acting as the user -----------------------------------------------------------------------
async function act(action, body) {
  try {
    return await api(`/_emulator/act/${action}`, { user_id: state.current, ...body });
  } catch (error) {
    toast(error.message);
    return null;
  } finally {
    refresh();
  }
}

async function sendText(text) {
  const clean = text.trim();
  if (!clean) return;
  closeMenu();
  state.stick = true;
  await act("send_text", { text: clean });
}

async function tap(button) {
  const body = { text: button.text };
  if (button.request_location) Object.assign(body, SAMPLE_LOCATION);
  state.stick = true;
  await act("tap", body);
}

async function press(m, data, node) {
  node.classList.add("pending");
  const result = await act("press", { message_id: m.message_id, callback_data: data });
  if (result && result.callback_query_id) {
    state.pending.set(result.callback_query_id, { node, at: Date.now() });
  } else {
    node.classList.remove("pending");
  }
}

async function checkCallbackAnswers() {
  if (state.pending.size === 0) return;
  const answers = await api("/_emulator/callback_answers");
  for (const [id, entry] of state.pending) {
    const answer = answers[id];
    if (answer) {
      state.pending.delete(id);
      entry.node.classList.remove("pending");
      if (answer.text) (answer.show_alert ? alertBox : toast)(answer.text);
    } else if (Date.now() - entry.at > 15000) {
      state.pending.delete(id);
      entry.node.classList.remove("pending");
    }
  }
}

// --- users ------------------------------------------------------------------------------------
function renderUsers() {
  const list = $("user-list");
  list.replaceChildren();
  for (const user of state.users) {
    const li = el("li");
    const item = el("button", `user-item${user.id === state.current ? " current" : ""}`);
    item.type = "button";
    item.dataset.userId = user.id;
    const avatar = el("span", "avatar", (user.first_name || "?").slice(0, 1).toUpperCase());
    avatar.style.background = avatarColor(user.id);
    item.appendChild(avatar);
    const text = el("span", "user-text");
    text.appendChild(el("span", "user-name", user.first_name));
    const plain = `user id ${user.id}` + (user.language_code ? ` · ${user.language_code}` : "");
    text.appendChild(el("span", "user-preview", state.previews.get(user.id) || plain));
    item.appendChild(text);
    const unread = (state.counts.get(user.id) || 0) - (state.seen.get(user.id) || 0);
    if (user.id !== state.current && unread > 0) item.appendChild(el("span", "badge", String(unread)));
    item.addEventListener("click", () => selectUser(user.id));
    li.appendChild(item);
    list.appendChild(li);
  }
  const me = currentUser();
  $("current-user-name").textContent = me ? me.first_name : "…";
}

function previewOf(messages) {
  const last = [...messages].reverse().find((m) => !m.deleted);
  if (!last) return null;
  const c = last.content || {};
  const text = c.text || c.caption || (c.photo ? "🖼 Photo" : c.document ? "📄 File"
    : c.location ? "📍 Location" : `(${last.kind})`);
  return (last.from_bot ? "" : "You: ") + text.replace(/\s+/g, " ").slice(0, 80);
}

async function selectUser(id) {
  if (id === state.current) return;
  state.current = id;
  localStorage.setItem(STORE_KEY, String(id));
  state.replyKeyboard = null;
  resetChat();
  renderUsers();
  await refreshClock();
  await refresh();
  $("text").focus();
}

async function addUser(name, languageCode) {
  try {
    const user = await api("/api/users", { name, language_code: languageCode });
    state.users.push(user);
    await selectUser(user.id);
  } catch (error) {
    toast(error.message);
  }
}

// --- clock ------------------------------------------------------------------------------------
async function refreshClock() {
  if (state.current === null) return;
  try {
    setClock(await api(`/api/clock?user_id=${state.current}`));
  } catch (error) {
    /* the next refresh tries again */
  }
}

function setClock(view) {
  const zoneChanged = (view.zone || "UTC") !== state.zone;
  state.clock = view;
  state.clockFetchedAt = performance.now();
  state.zone = view.zone || "UTC";
  drawClock();
  drawUpcoming();
  if (zoneChanged && state.rendered.size) {
    resetChat(); // message times and day separators follow the user's zone
    refresh();
  }
}

function simulatedNow() {
  if (!state.clock) return null;
  return new Date((state.clock.timestamp * 1000) + (performance.now() - state.clockFetchedAt));
}

function drawClock() {
  const now = simulatedNow();
  if (!now) return;
  const zone = state.clock.zone;
  $("clock-local-time").textContent = fmtTime(now, zone || "UTC");
  $("clock-local-date").textContent = fmtShortDay(now, zone || "UTC");
  $("clock-zone").textContent = zone ? `${currentUser() ? currentUser().first_name : "User"}'s time · ${zone}`
    : "No time zone yet (shown in UTC)";
  $("clock-utc").textContent = `UTC ${fmtTime(now, "UTC")} · ${fmtShortDay(now, "UTC")}`;
}

function drawUpcoming() {
  const list = $("upcoming");
  list.replaceChildren();
  const upcoming = (state.clock && state.clock.upcoming) || [];
  for (const item of upcoming) {
    const li = el("li");
    const due = new Date(item.due_at);
    const icon = KIND_ICONS[item.kind] || "🔔";
    li.appendChild(el("span", null, `${icon} ${item.label || `${item.kind} nudge`}`));
    li.appendChild(el("strong", null, `${fmtShortDay(due, state.zone)} ${fmtTime(due, state.zone)}`));
    list.appendChild(li);
  }
  $("next-nudge").disabled = upcoming.length === 0;
}

async function moveClock(body, label) {
  const status = $("clock-status");
  const buttons = document.querySelectorAll(".clock button");
  buttons.forEach((b) => { b.disabled = true; });
  status.classList.remove("error");
  status.textContent = "Moving the clock…";
  try {
    const view = await api("/api/clock", { user_id: state.current, ...body });
    setClock(view);
    // The server counts this user's nudges: delivered, skipped and why (bot/playground/moves.py).
    status.textContent = `${label} · ${view.summary}`;
  } catch (error) {
    status.classList.add("error");
    status.textContent = error.message;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    drawUpcoming();
    refresh();
  }
}

// --- the command menu -------------------------------------------------------------------------
// As Telegram picks it: the list set for the user's app language, else the default one.
function menuOf(user) {
  const code = ((user && user.language_code) || "").split("-")[0].toLowerCase();
  return (code && state.menus[code]) || state.commands;
}

function openMenu(filter) {
  const menu = $("command-menu");
  const prefix = (filter || "").replace(/^\//, "").toLowerCase();
  const matches = menuOf(currentUser()).filter((c) => c.command.startsWith(prefix));
  menu.replaceChildren();
  if (matches.length === 0) { menu.hidden = true; return; }
  for (const command of matches) {
    const item = el("button", "command-item");
    item.type = "button";
    item.setAttribute("role", "option");
    item.dataset.command = command.command;
    item.appendChild(el("span", "cmd", `/${command.command}`));
    item.appendChild(el("span", "desc", command.description));
    item.addEventListener("click", () => { $("text").value = ""; sendText(`/${command.command}`); });
    menu.appendChild(item);
  }
  menu.hidden = false;
}

function closeMenu() {
  $("command-menu").hidden = true;
}

// --- refresh loop -----------------------------------------------------------------------------
let refreshing = null;
let again = false;

function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    try {
      do {
        again = false;
        await refreshOnce();
      } while (again);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function refreshOnce() {
  if (state.current === null) return;
  const world = await api("/_emulator/state");
  const counts = new Map(world.chats.map((c) => [c.id, c.messages]));
  let listChanged = false;
  for (const user of world.users) {
    if (!state.users.some((u) => u.id === user.id)) { state.users.push(user); listChanged = true; }
  }
  for (const user of state.users) {
    const count = counts.get(user.id) || 0;
    if (count !== (state.counts.get(user.id) || 0) && user.id !== state.current && count > 0) {
      const other = await api(`/_emulator/chats/${user.id}`);
      state.previews.set(user.id, previewOf(other.messages));
      listChanged = true;
    }
    state.counts.set(user.id, count);
  }
  let chat = { chat: { reply_keyboard: null }, messages: [] };
  if (counts.has(state.current)) chat = await api(`/_emulator/chats/${state.current}`);
  const changed = applyChat(chat.messages);
  applyReplyKeyboard(chat.chat.reply_keyboard);
  updateStartButton();
  state.seen.set(state.current, state.counts.get(state.current) || 0);
  const preview = previewOf(chat.messages);
  if (preview !== state.previews.get(state.current)) {
    state.previews.set(state.current, preview);
    listChanged = true;
  }
  if (listChanged) renderUsers();
  if (changed) await refreshClock();
  await checkCallbackAnswers();
  if (state.commands.length === 0) await loadInfo();
  // What the page shows is at least as new as this emulator state (the browser test waits on it).
  document.body.dataset.version = String(world.version);
}

async function watch() {
  for (;;) {
    try {
      const result = await api(`/_emulator/changes?since=${state.version}&timeout=25`);
      $("bot-status").textContent = "bot";
      $("bot-status").classList.remove("offline");
      if (result.version !== state.version) {
        state.version = result.version;
        await refresh();
      }
    } catch (error) {
      $("bot-status").textContent = "playground unreachable, retrying…";
      $("bot-status").classList.add("offline");
      await sleep(1500);
    }
  }
}

async function loadInfo() {
  const info = await api("/api/info");
  state.commands = info.commands || [];
  state.menus = info.menus || {};
  fillLanguages(info.languages || []);
  $("bot-name").textContent = info.bot.first_name;
  for (const user of info.users) {
    if (!state.users.some((u) => u.id === user.id)) state.users.push(user);
  }
}

// The new-user language select: each catalog language of the bot, Austrian German, and one
// without a catalog (answered in English), as Telegram apps send them.
function fillLanguages(languages) {
  const select = $("new-user-language");
  if (languages.length === 0 || select.dataset.filled) return;
  const chosen = select.value;
  select.replaceChildren();
  const add = (code, label) => {
    const option = el("option", null, label);
    option.value = code;
    select.appendChild(option);
  };
  for (const language of languages) add(language.code, `${language.name} (${language.code})`);
  if (languages.some((l) => l.code === "de")) add("de-AT", "Deutsch (de-AT)");
  if (!languages.some((l) => l.code === "fr")) add("fr", "français (fr)");
  add("", "no language");
  select.value = chosen;
  select.dataset.filled = "1";
}

// --- wiring -----------------------------------------------------------------------------------
function wire() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value;
    input.value = "";
    sendText(text);
  });
  $("text").addEventListener("input", (event) => {
    const value = event.target.value;
    if (value.startsWith("/") && !value.includes(" ")) openMenu(value); else closeMenu();
  });
  $("text").addEventListener("keydown", (event) => { if (event.key === "Escape") closeMenu(); });
  $("menu-button").addEventListener("click", () => {
    if ($("command-menu").hidden) openMenu(""); else closeMenu();
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest("#command-menu, #menu-button, #text")) closeMenu();
  });
  $("start-button").addEventListener("click", () => sendText("/start"));
  $("messages").addEventListener("scroll", () => { state.stick = nearBottom(); });
  $("add-user").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("new-user-name");
    const name = input.value.trim();
    if (!name) { input.focus(); return; }
    input.value = "";
    addUser(name, $("new-user-language").value);
  });
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () =>
      moveClock({ advance: Number(button.dataset.advance) }, `Moved ${button.textContent}`));
  }
  $("jump").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("jump-time").value;
    if (value) moveClock({ local: value }, `Jumped to ${value}`);
  });
  $("next-nudge").addEventListener("click", () => moveClock({ next_nudge: true }, "Skipped ahead"));
  $("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
  setInterval(drawClock, 1000);
}

async function main() {
  wire();
  await loadInfo();
  const saved = Number(localStorage.getItem(STORE_KEY));
  state.current = state.users.some((u) => u.id === saved) ? saved
    : (state.users[0] ? state.users[0].id : null);
  renderUsers();
  await refreshClock();
  await refresh();
  watch();
}

main().catch((error) => toast(`The playground could not start: ${error.message}`));
