"""SIS links: a school's link to its administration package (token, settings, schedule) and the
exports that come in over it (upload endpoint, drop folder, Informat pull), each synced as one
background task."""
