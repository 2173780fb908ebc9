"""Notifications: subscribers, the outbox of deliveries, and the fan-out that sends them."""
