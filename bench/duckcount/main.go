// Command duckcount is bench/offline.sh's DuckDB reference: it counts one
// AccessKey's events by source IP over gzip trail files with DuckDB's
// read_json (the same question akresp's audit answers among others).
//
//	go run ./bench/duckcount -key LTAI5tLEAKEDbenchKEY0001 'DIR/*.json.gz'
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	key := flag.String("key", "LTAI5tLEAKEDbenchKEY0001", "AccessKey ID")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: duckcount -key ID 'DIR/*.json.gz'")
		os.Exit(2)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		fail(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT sourceIpAddress, count(*) AS n
		FROM read_json(?, format = 'array', columns = {sourceIpAddress: 'VARCHAR', userIdentity: 'STRUCT(accessKeyId VARCHAR)'})
		WHERE userIdentity.accessKeyId = ? GROUP BY 1 ORDER BY 2 DESC`, flag.Arg(0), *key)
	if err != nil {
		fail(err)
	}
	defer rows.Close()
	var ips, events int64
	for rows.Next() {
		var ip string
		var n int64
		if err := rows.Scan(&ip, &n); err != nil {
			fail(err)
		}
		ips++
		events += n
		fmt.Printf("%d %s\n", n, ip)
	}
	if err := rows.Err(); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "duckcount: %d events of %s from %d sources\n", events, *key, ips)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "duckcount:", err)
	os.Exit(1)
}
