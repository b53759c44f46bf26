"""The OneRoster 1.2 rostering REST API (/ims/oneroster/rostering/v1p2/) and its OAuth2
client-credentials token URL; sharing/ decides what each app may see."""
