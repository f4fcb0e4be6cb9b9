"""One block of trials: calendar, per-contact draws, the contact flow, outcomes and economics."""
