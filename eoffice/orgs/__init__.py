"""The body tree: organisations, their tiers, units and organisation codes."""
