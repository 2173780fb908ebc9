"""Reminders of the update cadence: planned with each change, claimed by the beat sweep,
sent by a task per reminder, acknowledged in the console or by SMS reply."""
