"""Inline SVG charts: drawn from the numbers in the page itself, nothing to load."""

from landingzone.evidence.html_page import STATUS_COLOURS, STATUS_WORDS, esc

BAR_ORDER = ("pass", "fixed", "waived", "not_applicable", "fail", "error")


def status_bars(rows: list[tuple[str, dict]], width: int = 640) -> str:
    """One horizontal bar per row (label, counts), split by status, with a legend."""
    label_width, bar_width, row_height = 130, width - 200, 26
    height = row_height * len(rows) + 34
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="controls per status">'
    ]
    for index, (label, counts) in enumerate(rows):
        y = index * row_height + 4
        total = sum(counts[status] for status in BAR_ORDER)
        parts.append(f'<text x="0" y="{y + 15}" font-size="13">{esc(label)}</text>')
        x = float(label_width)
        for status in BAR_ORDER:
            if not total or not counts[status]:
                continue
            span = bar_width * counts[status] / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{span:.1f}" height="18" fill="{STATUS_COLOURS[status]}">'
                f"<title>{esc(STATUS_WORDS[status])}: {counts[status]}</title></rect>"
            )
            x += span
        parts.append(f'<text x="{label_width + bar_width + 8}" y="{y + 15}" font-size="13">{total}</text>')
    legend_y = row_height * len(rows) + 20
    x = 0
    for status in BAR_ORDER:
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="10" height="10" fill="{STATUS_COLOURS[status]}"/>')
        parts.append(f'<text x="{x + 14}" y="{legend_y}" font-size="12">{esc(STATUS_WORDS[status])}</text>')
        x += 24 + 7 * len(STATUS_WORDS[status])
    parts.append("</svg>")
    return "".join(parts)


def compliance_bars(rows: list[tuple[str, float | None]], width: int = 640) -> str:
    """One bar per row (label, percentage or None), on a 0-100 scale."""
    label_width, bar_width, row_height = 170, width - 240, 24
    height = row_height * len(rows) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="compliance per municipality">'
    ]
    for index, (label, value) in enumerate(rows):
        y = index * row_height + 4
        parts.append(f'<text x="0" y="{y + 14}" font-size="13">{esc(label)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y}" width="{bar_width}" height="16" fill="#eeeeee"/>')
        if value is not None:
            colour = "#2e7d32" if value >= 90 else "#f9a825" if value >= 70 else "#c62828"
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{bar_width * value / 100:.1f}" height="16" fill="{colour}"/>'
            )
        text = "n/a" if value is None else f"{value:.1f} %"
        parts.append(f'<text x="{label_width + bar_width + 8}" y="{y + 14}" font-size="13">{text}</text>')
    parts.append("</svg>")
    return "".join(parts)
