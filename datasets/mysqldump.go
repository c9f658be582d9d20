package datasets

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/addlink/addlink/atomicfile"
)

// DatasetNames are the Link Recommendation service's per-wiki datasets.
var DatasetNames = []string{"anchors", "pageids", "redirects", "w2vfiltered"}

// SQLTable is the MySQL table of a dataset: lr_<wiki>_<name>.
func SQLTable(wiki, name string) string { return "lr_" + wiki + "_" + name }

// createTable is the reference's table definition (create_tables.py).
func createTable(name string) string {
	return "CREATE TABLE IF NOT EXISTS `" + name + "` (" +
		"  `id` INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY," +
		"  `lookup` TEXT NOT NULL," +
		"  `value` LONGBLOB NOT NULL," +
		"  " + LookupIndexSQL +
		") CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
}

// LookupIndexSQL is the index of every lr_ table, as create_tables.py names it.
const LookupIndexSQL = "INDEX `lookup_index` (`lookup`(767))"

// CreateTableSQL is the reference's CREATE TABLE IF NOT EXISTS statement for one lr_
// table (create_tables.py): id, lookup, value, the lookup(767) index, utf8mb4_bin.
func CreateTableSQL(table string) string { return createTable(table) }

// SQLSchema returns the CREATE TABLE statements of a wiki's datasets and of the shared
// lr_model and lr_checksum tables, one per line.
func SQLSchema(wiki string) string {
	var b strings.Builder
	for _, n := range DatasetNames {
		b.WriteString(createTable(SQLTable(wiki, n)) + "\n")
	}
	b.WriteString(createTable("lr_model") + "\n")
	b.WriteString(createTable("lr_checksum") + "\n")
	return b.String()
}

// mysqlEscaper escapes a value as mysqldump does (mysql_real_escape_string): NUL, \n,
// \r, backslash, quotes and Ctrl-Z.
var mysqlEscaper = strings.NewReplacer("\x00", `\0`, "\n", `\n`, "\r", `\r`, `\`, `\\`, "'", `\'`, `"`, `\"`, "\x1a", `\Z`)

// MySQLQuote returns s as a quoted MySQL string literal.
func MySQLQuote(s string) string { return "'" + mysqlEscaper.Replace(s) + "'" }

// WriteSQLDump writes a gzipped dump of one lr_ table in the style of mysqldump
// --skip-opt --no-create-info --skip-extended-insert: a header, then one single-line
// `INSERT INTO ... VALUES (id,'lookup','value');` per row with ids from 1 in the order
// rows yields them, so that the service's loader (which executes every line containing
// INSERT INTO) can load it. No time stamp or host name is written: the same rows give
// the same bytes. It returns the hex SHA-256 of the .gz file.
func WriteSQLDump(path, table string, rows func(yield func(key string, value []byte) error) error) (string, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	zw, err := gzip.NewWriterLevel(f, gzip.DefaultCompression)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(zw, 1<<16)
	fmt.Fprintf(w, "-- addlink dump of table `%s` (mysqldump --skip-opt --no-create-info --skip-extended-insert style)\n", table)
	w.WriteString("--\n-- Create the table with: addlink export --print-schema --wiki <wiki>\n-- ------------------------------------------------------\n")
	w.WriteString("/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n")
	w.WriteString("/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n")
	w.WriteString("/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n")
	w.WriteString("/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;\n\n")
	fmt.Fprintf(w, "--\n-- Dumping data for table `%s`\n--\n\n", table)
	id := 0
	prefix := "INSERT INTO `" + table + "` VALUES ("
	err = rows(func(key string, value []byte) error {
		id++
		w.WriteString(prefix)
		w.WriteString(strconv.Itoa(id))
		w.WriteByte(',')
		w.WriteString(MySQLQuote(key))
		w.WriteByte(',')
		_, err := w.WriteString(MySQLQuote(string(value)))
		w.WriteString(");\n")
		return err
	})
	if err != nil {
		return "", err
	}
	w.WriteString("/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n\n")
	w.WriteString("/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\n-- Dump completed\n")
	if err := w.Flush(); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	sum := f.SHA256()
	return sum, f.Commit()
}
