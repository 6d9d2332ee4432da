"""Cases (案件): intake, the closed loop as a state machine, transfers between organisations, records."""
