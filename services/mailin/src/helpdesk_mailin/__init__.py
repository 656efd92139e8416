"""Helpdesk mail intake: IMAP mailboxes whose mail becomes tickets and comments."""
