# Lumbar: the bot in a slim image, dependencies in their own layer, run as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 lumbar && mkdir /data && chown lumbar /data

# Dependencies only: a stub package with the real pyproject, so this layer is cached
# until the dependencies change.
COPY pyproject.toml README.md ./
RUN mkdir bot db content \
    && touch bot/__init__.py db/__init__.py content/__init__.py \
    && pip install . \
    && pip uninstall -y lumbar \
    && rm -rf bot db content

COPY alembic.ini ./
COPY migrations ./migrations
COPY content ./content
COPY db ./db
COPY bot ./bot
# The message catalogs are compiled at install (content/catalog.py); only the .po are in git.
RUN python -m content.catalog compile

USER lumbar
ENV DATABASE_URL=sqlite+aiosqlite:////data/lumbar.sqlite3 \
    CACHE_DIR=/data/cache
VOLUME ["/data"]
CMD ["python", "-m", "bot"]
