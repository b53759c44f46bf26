"""Server-rendered pages for secretaries and ICT coordinators."""
