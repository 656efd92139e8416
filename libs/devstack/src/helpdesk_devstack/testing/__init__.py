"""Test helpers shared by the Helpdesk packages (e.g. the pytest plugin in :mod:`.plugin`)."""
