"""Exercise cards and the progress heatmap, drawn with Pillow and cached on disk."""

from bot.pictures.animation import render_animation
from bot.pictures.cache import RENDERER_VERSION, CardRenderer, card_key
from bot.pictures.card import render_card
from bot.pictures.heatmap import heatmap_cells, render_heatmap
from bot.pictures.scene import contact_gap, lowest_point, support_level
from bot.pictures.sheet import render_contact_sheet

__all__ = [
    "RENDERER_VERSION",
    "CardRenderer",
    "card_key",
    "contact_gap",
    "heatmap_cells",
    "lowest_point",
    "render_animation",
    "render_card",
    "render_contact_sheet",
    "render_heatmap",
    "support_level",
]
