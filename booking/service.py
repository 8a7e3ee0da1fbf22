"""The booking service: slots, bookings, cancellations and moves against the database."""
