"""Documents down and up the tiers: electronic copies forwarded to the bodies below,
and the progress tree of a directive (DOMAIN.md §1d.4, §1e Điều 25–27, §4.1)."""
