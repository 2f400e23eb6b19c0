"""Video appointments: officials' calendars, the free times they offer, and booking one
so that no official is ever booked twice."""
