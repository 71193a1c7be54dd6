"""MongoDB storage: connection, schema, listing writer, disk spool and the Scrapy pipeline."""
