"""Telling approvers that words wait for them, and the signed link they decide through."""
