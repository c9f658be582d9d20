// Package mysqlenv is what `addlink serve` and `addlink load` share of MySQL: the
// connection settings they take from the environment (DB_USER, DB_PASSWORD, DB_HOST,
// DB_PORT, DB_DATABASE, DB_READ_DEFAULT_FILE) with PyMySQL's rules (Config), the
// connection set-up (Open) and the lr_checksum reader (ReadChecksums), so that both
// connect to the same database from the same settings and agree on what is loaded.
package mysqlenv

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Config builds a go-sql-driver/mysql configuration (user, password, database, network
// and address only; callers add their own parameters) from the variables getenv
// returns. As PyMySQL does with read_default_file, DB_READ_DEFAULT_FILE names a my.cnf
// whose [client] section supplies what the variables leave unset (user, password, host,
// port, database, socket); a socket, or a DB_HOST starting with "/", is a unix socket;
// otherwise TCP to DB_HOST (default localhost) on DB_PORT (default 3306).
func Config(getenv func(string) (string, bool)) (*mysql.Config, error) {
	vals := map[string]string{}
	if f, ok := getenv("DB_READ_DEFAULT_FILE"); ok && f != "" {
		m, err := readOptionFile(f)
		if err != nil {
			return nil, err
		}
		vals = m
	}
	for _, k := range []string{"user", "password", "host", "port", "database"} {
		if v, ok := getenv("DB_" + strings.ToUpper(k)); ok && v != "" {
			vals[k] = v
		}
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = vals["user"], vals["password"], vals["database"]
	port := "3306"
	if p := vals["port"]; p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("DB_PORT %q: not a port number", p)
		}
		port = p
	}
	switch host := vals["host"]; {
	case vals["socket"] != "":
		cfg.Net, cfg.Addr = "unix", vals["socket"]
	case strings.HasPrefix(host, "/"):
		cfg.Net, cfg.Addr = "unix", host
	default:
		if host == "" {
			host = "localhost"
		}
		cfg.Net, cfg.Addr = "tcp", host+":"+port
	}
	return cfg, nil
}

// readOptionFile reads the client options of a my.cnf file: its [client], [mysql] and
// [client-mariadb] sections, with "pass" read as password and "db" as database.
func readOptionFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("DB_READ_DEFAULT_FILE: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[] ")
		case section == "client" || section == "mysql" || section == "client-mariadb":
			k, v, _ := strings.Cut(line, "=")
			k = strings.ReplaceAll(strings.TrimSpace(k), "_", "-")
			v = strings.Trim(strings.TrimSpace(v), `"'`)
			switch k {
			case "pass":
				k = "password"
			case "db":
				k = "database"
			}
			out[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("DB_READ_DEFAULT_FILE: %s: %w", path, err)
	}
	return out, nil
}
