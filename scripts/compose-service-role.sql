-- docker-compose.yml: run once by the postgres image when it creates the
-- database. The service connects as this role, which `caseworkd migrate`
-- (as the owner, casework) grants rows and nothing more; see README.md,
-- "Two database roles". A development password, like the owner's.
CREATE ROLE casework_service LOGIN PASSWORD 'casework_service';
