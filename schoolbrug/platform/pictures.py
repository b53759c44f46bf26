# ruff: noqa: E501  (the drawings are SVG path data: one shape per line reads best)
"""The pupils' login pictures: 24 simple drawings made here as SVG (no third-party images, so
no licence to check). Each is (Dutch name, SVG shapes inside a 100×100 view box)."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

PICTURES: dict[str, tuple[str, str]] = {
    "zon": (
        "zon",
        '<circle cx="50" cy="50" r="22" fill="#f9c80e"/>'
        '<g stroke="#f9a602" stroke-width="6" stroke-linecap="round">'
        '<path d="M50 8v12M50 80v12M8 50h12M80 50h12M20 20l9 9M71 71l9 9M80 20l-9 9M29 71l-9 9"/></g>',
    ),
    "maan": ("maan", '<path d="M62 12a40 40 0 1 0 26 66A32 32 0 1 1 62 12z" fill="#f4d35e"/>'),
    "ster": (
        "ster",
        '<polygon points="50,8 61,38 94,38 67,58 78,90 50,70 22,90 33,58 6,38 39,38" fill="#ffb703"/>',
    ),
    "hart": (
        "hart",
        '<path d="M50 88L14 52a20 20 0 0 1 36-28a20 20 0 0 1 36 28z" fill="#e63946"/>',
    ),
    "boom": (
        "boom",
        '<rect x="43" y="60" width="14" height="32" fill="#8d5524"/>'
        '<circle cx="50" cy="40" r="30" fill="#2a9d8f"/>',
    ),
    "bloem": (
        "bloem",
        '<rect x="47" y="50" width="6" height="44" fill="#2a9d8f"/>'
        '<g fill="#ff70a6"><circle cx="50" cy="22" r="13"/><circle cx="72" cy="38" r="13"/>'
        '<circle cx="28" cy="38" r="13"/><circle cx="40" cy="58" r="13"/><circle cx="60" cy="58" r="13"/></g>'
        '<circle cx="50" cy="42" r="10" fill="#ffd166"/>',
    ),
    "huis": (
        "huis",
        '<rect x="20" y="45" width="60" height="45" fill="#f4a261"/>'
        '<polygon points="10,48 50,12 90,48" fill="#9b2226"/><rect x="42" y="62" width="16" height="28" fill="#6d4c41"/>',
    ),
    "auto": (
        "auto",
        '<rect x="8" y="45" width="84" height="26" rx="8" fill="#1d70b8"/>'
        '<path d="M25 45l10-18h30l10 18z" fill="#4dabf7"/>'
        '<circle cx="28" cy="74" r="10" fill="#222"/><circle cx="72" cy="74" r="10" fill="#222"/>',
    ),
    "boot": (
        "boot",
        '<path d="M8 62h84l-14 22H22z" fill="#8d5524"/><rect x="48" y="14" width="4" height="48" fill="#555"/>'
        '<polygon points="52,16 84,56 52,56" fill="#fff" stroke="#999"/>',
    ),
    "vis": (
        "vis",
        '<ellipse cx="45" cy="50" rx="32" ry="20" fill="#fb8500"/>'
        '<polygon points="72,50 94,32 94,68" fill="#fb8500"/><circle cx="30" cy="45" r="4" fill="#222"/>',
    ),
    "kat": (
        "kat",
        '<polygon points="20,40 26,10 44,30" fill="#6c757d"/><polygon points="80,40 74,10 56,30" fill="#6c757d"/>'
        '<circle cx="50" cy="55" r="32" fill="#6c757d"/><circle cx="38" cy="50" r="5" fill="#ffd166"/>'
        '<circle cx="62" cy="50" r="5" fill="#ffd166"/><polygon points="46,62 54,62 50,67" fill="#ff70a6"/>',
    ),
    "bal": (
        "bal",
        '<circle cx="50" cy="50" r="38" fill="#e63946"/>'
        '<path d="M12 50h76M50 12a52 52 0 0 1 0 76M50 12a52 52 0 0 0 0 76" stroke="#fff" stroke-width="5" fill="none"/>',
    ),
    "appel": (
        "appel",
        '<circle cx="50" cy="58" r="32" fill="#d62828"/><rect x="48" y="14" width="5" height="18" fill="#6d4c41"/>'
        '<ellipse cx="64" cy="20" rx="12" ry="6" fill="#2a9d8f"/>',
    ),
    "wolk": (
        "wolk",
        '<g fill="#90caf9"><circle cx="35" cy="55" r="20"/><circle cx="55" cy="45" r="24"/>'
        '<circle cx="72" cy="60" r="16"/><rect x="30" y="58" width="45" height="18"/></g>',
    ),
    "paraplu": (
        "paraplu",
        '<path d="M10 50a40 40 0 0 1 80 0z" fill="#7b2cbf"/>'
        '<path d="M50 50v32a8 8 0 0 1-16 0" stroke="#333" stroke-width="5" fill="none"/>',
    ),
    "sleutel": (
        "sleutel",
        '<circle cx="28" cy="50" r="18" fill="none" stroke="#e9c46a" stroke-width="9"/>'
        '<path d="M46 50h44M78 50v14M88 50v10" stroke="#e9c46a" stroke-width="9"/>',
    ),
    "bel": (
        "bel",
        '<path d="M50 14a26 26 0 0 1 26 26v22l10 12H14l10-12V40a26 26 0 0 1 26-26z" fill="#ffb703"/>'
        '<circle cx="50" cy="82" r="8" fill="#fb8500"/>',
    ),
    "blad": (
        "blad",
        '<path d="M15 85C15 40 45 15 90 12C88 55 60 85 15 85z" fill="#52b788"/>'
        '<path d="M15 85L70 32" stroke="#2d6a4f" stroke-width="4"/>',
    ),
    "paddenstoel": (
        "paddenstoel",
        '<rect x="40" y="50" width="20" height="38" rx="6" fill="#f1e3d3"/>'
        '<path d="M10 54a40 36 0 0 1 80 0z" fill="#d62828"/>'
        '<g fill="#fff"><circle cx="35" cy="36" r="6"/><circle cx="62" cy="30" r="7"/><circle cx="75" cy="46" r="5"/></g>',
    ),
    "vlieger": (
        "vlieger",
        '<polygon points="50,8 78,40 50,80 22,40" fill="#06d6a0"/>'
        '<path d="M50 80q-10 8 0 12t0 8" stroke="#333" stroke-width="3" fill="none"/>',
    ),
    "raket": (
        "raket",
        '<path d="M50 8c16 14 18 40 14 62H36C32 48 34 22 50 8z" fill="#adb5bd"/>'
        '<circle cx="50" cy="38" r="8" fill="#4dabf7"/><polygon points="36,58 22,78 36,72" fill="#e63946"/>'
        '<polygon points="64,58 78,78 64,72" fill="#e63946"/><polygon points="42,70 58,70 50,92" fill="#fb8500"/>',
    ),
    "kroon": (
        "kroon",
        '<polygon points="12,75 18,30 36,52 50,22 64,52 82,30 88,75" fill="#ffd166"/>'
        '<rect x="12" y="75" width="76" height="10" fill="#f4a261"/>',
    ),
    "sneeuwman": (
        "sneeuwman",
        '<circle cx="50" cy="68" r="24" fill="#f1f3f5" stroke="#adb5bd"/>'
        '<circle cx="50" cy="32" r="16" fill="#f1f3f5" stroke="#adb5bd"/>'
        '<polygon points="50,32 66,35 50,38" fill="#fb8500"/>',
    ),
    "ballon": (
        "ballon",
        '<ellipse cx="50" cy="40" rx="26" ry="32" fill="#ef476f"/>'
        '<path d="M50 72q-8 10 0 24" stroke="#333" stroke-width="2" fill="none"/>',
    ),
}
NAMES = tuple(PICTURES)


def label(name: str) -> str:
    return PICTURES[name][0] if name in PICTURES else ""


def svg(name: str, size: int = 96) -> SafeString:
    """The picture as inline SVG, with its name for screen readers."""
    title, shapes = PICTURES[name]
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="{}" height="{}" '
        'role="img" aria-label="{}">{}</svg>',
        size,
        size,
        title,
        mark_safe(shapes),  # our own constant drawings above, never user input
    )
