"""SLA: business-hours calendars, policies and targets, the clocks of each ticket, warnings and breaches."""
