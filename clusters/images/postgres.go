package images

import "fmt"

// postgresPackages make the database image: PostgreSQL 15, Patroni (its
// Kubernetes DCS needs no extra client library) and pgBackRest, from Debian.
var postgresPackages = []string{
	"postgresql-15", "postgresql-client-15", "patroni", "pgbackrest",
	"python3-psycopg2", "ca-certificates",
}

// PostgresUID is the uid and gid of the postgres user in the database image;
// the pods run as it (reconciler/database/render.PostgresUID).
const PostgresUID = 999

// DatabaseImage is the PostgreSQL + Patroni + pgBackRest image the
// Database members run.
func DatabaseImage() AppImage {
	return AppImage{
		Name:       "postgres",
		Packages:   postgresPackages,
		Dockerfile: func(base string) string { return fmt.Sprintf(postgresDockerfile, base, PostgresUID) },
		Data:       map[string]string{"tidemark-post-bootstrap": postBootstrap},
	}
}

// postgresDockerfile gives the postgres user a fixed uid, so pods can run as
// a number (the kubelet checks runAsNonRoot against a numeric user), and
// adds the one script Patroni calls after creating the cluster. The stop
// signal stays SIGTERM: on it Patroni stops PostgreSQL and releases the
// leader key at once, so a deleted primary is replaced in seconds.
const postgresDockerfile = `FROM %[1]s
RUN set -eu; \
    usermod -u %[2]d postgres; groupmod -g %[2]d postgres; \
    chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql /etc/postgresql /var/log/postgresql; \
    rm -f /etc/postgresql/15/main/*.conf.dpkg-dist
COPY tidemark-post-bootstrap /usr/local/bin/tidemark-post-bootstrap
ENV LANG=C.UTF-8 PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
USER %[2]d
WORKDIR /var/lib/postgresql
`

// postBootstrap creates the application role and its database once, on
// the first primary. Patroni passes a superuser connection string.
const postBootstrap = `#!/bin/sh
set -eu
psql "$1" -v ON_ERROR_STOP=1 -v user="$TIDEMARK_APP_USER" -v password="$TIDEMARK_APP_PASSWORD" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE app OWNER :"user";
SQL
`
