"""The adapters: ALL the SQL, and every file the engine reads. Tables, the engine and its units of
work (db, uow), plain SQL on the driver for the write path (sql), the repositories (repository,
people), the record (eventlog: append and verify), the read side's queries (queries), THE
unit-scope filter (scope), the text filter per database (search), backups, and the definition
files (definitions). Imports the domain; never Flask, the web or the use cases."""
