"""The citizens' booking pages on central (/book/): find a service with video
appointments, pick a time, prove the e-mail address, manage the booking."""
