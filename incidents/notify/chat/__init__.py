"""What the chat channels (Slack, Microsoft Teams, Google Chat, Discord) share: the
content of one message (`message.py`), the hosts each provider's webhooks live on
(`hosts.py`), and the cutting of long words to each provider's limits (`cut.py`).

Each provider's own module under notify/channels/ turns a `ChatMessage` into its payload
and reads its answers; notify/channels/chat.py is the channel they have in common.
"""
