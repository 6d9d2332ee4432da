"""Sign-in, sessions, passwords and sign-in throttling."""
