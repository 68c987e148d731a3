// mkdb writes a tiny Trivy vulnerability DB (schema 2) for offline test reports.
// Usage: mkdb DIR   (writes DIR/trivy.db and DIR/metadata.json)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "github.com/coreos/bbolt"
)

type vuln struct {
	ID, Severity, Title string
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func put(tx *bolt.Tx, path []string, key string, value interface{}) {
	b, err := tx.CreateBucketIfNotExists([]byte(path[0]))
	must(err)
	for _, p := range path[1:] {
		b, err = b.CreateBucketIfNotExists([]byte(p))
		must(err)
	}
	data, err := json.Marshal(value)
	must(err)
	must(b.Put([]byte(key), data))
}

func main() {
	dir := os.Args[1]
	must(os.MkdirAll(dir, 0o755))
	db, err := bolt.Open(filepath.Join(dir, "trivy.db"), 0o644, nil)
	must(err)
	npm := "npm::GitHub Security Advisory npm"
	alpine := "alpine 3.19"
	must(db.Update(func(tx *bolt.Tx) error {
		put(tx, []string{"data-source"}, npm, map[string]string{"ID": "ghsa", "Name": "GitHub Security Advisory npm", "URL": "https://github.com/advisories"})
		put(tx, []string{"data-source"}, alpine, map[string]string{"ID": "alpine", "Name": "Alpine Secdb", "URL": "https://secdb.alpinelinux.org/"})
		// lodash: one advisory per severity, plus one the DB gives no severity (Trivy: UNKNOWN).
		lodash := []struct {
			id, fixed, sev string
		}{
			{"CVE-2019-10744", "4.17.12", "CRITICAL"},
			{"CVE-2020-8203", "4.17.19", "HIGH"},
			{"CVE-2021-23337", "4.17.21", "HIGH"},
			{"CVE-2020-28500", "4.17.21", "MEDIUM"},
			{"CVE-2018-3721", "4.17.5", "LOW"},
			{"CVE-2099-0001", "4.17.22", ""},
		}
		for _, v := range lodash {
			put(tx, []string{npm, "lodash"}, v.id, map[string]interface{}{
				"PatchedVersions": []string{v.fixed}, "VulnerableVersions": []string{"< " + v.fixed}})
			rec := map[string]interface{}{"Title": "lodash: " + v.id, "Description": "test advisory"}
			if v.sev != "" {
				rec["Severity"] = v.sev
				rec["VendorSeverity"] = map[string]int{"ghsa": map[string]int{"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}[v.sev]}
			}
			put(tx, []string{"vulnerability"}, v.id, rec)
		}
		// Alpine 3.19 OS packages.
		osv := []struct {
			pkg, id, fixed, sev string
		}{
			{"openssl", "CVE-2024-0727", "3.1.4-r5", "MEDIUM"},
			{"openssl", "CVE-2023-6237", "3.1.4-r4", "LOW"},
			{"busybox", "CVE-2023-42363", "1.36.1-r16", "MEDIUM"},
			{"zlib", "CVE-2023-45853", "1.3.1-r0", "CRITICAL"},
		}
		for _, v := range osv {
			put(tx, []string{alpine, v.pkg}, v.id, map[string]string{"FixedVersion": v.fixed})
			put(tx, []string{"vulnerability"}, v.id, map[string]interface{}{
				"Title": v.pkg + ": " + v.id, "Severity": v.sev,
				"VendorSeverity": map[string]int{"alpine": map[string]int{"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}[v.sev]}})
		}
		return nil
	}))
	must(db.Close())
	now := time.Now().UTC()
	meta, _ := json.Marshal(map[string]interface{}{"Version": 2, "NextUpdate": now.Add(10 * 365 * 24 * time.Hour),
		"UpdatedAt": now, "DownloadedAt": now})
	must(os.WriteFile(filepath.Join(dir, "metadata.json"), meta, 0o644))
}
