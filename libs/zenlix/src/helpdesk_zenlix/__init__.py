"""Reading a ZENLIX 2 database: typed records, decoded once, for the services' importers."""
