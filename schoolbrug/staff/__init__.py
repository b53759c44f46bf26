"""The staff list: the weekly staff upload (who holds which assignment in which school) and the
teaching links, from the upload and from the sources that name teachers."""
