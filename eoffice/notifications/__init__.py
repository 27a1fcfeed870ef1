"""In-app notifications and e-mail (the notification centre UI is built on this)."""
