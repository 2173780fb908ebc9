"""Posting an approved-template update without the console: by SMS from a registered
number with a PIN ("UPDATE <incident> monitoring <PIN>"), or by a DKIM-signed email from
a registered address carrying the person's secret. For the hour the console is out of
reach; only words legal and support already approved can go out this way.

- command.py: what a message asks for, parsed (pure);
- credentials.py: registering a person, checking a PIN or secret;
- post.py: the one way both channels post (rate limit, replay, incident, approved words);
- sms.py, mail.py: each channel's authentication; smtp.py: the listener mail arrives on.
"""
