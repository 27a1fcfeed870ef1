"""The official's start page ("my work") and the figures a province reports (DOMAIN.md §11)."""
