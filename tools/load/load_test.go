package main

import "testing"

func TestLoadRefusesAddressesThatAreNotLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080":      true,
		"http://localhost:8080":      true,
		"http://[::1]:8080":          true,
		"http://127.8.9.1":           true,
		"http://10.0.0.1:8080":       false,
		"http://example.nl":          false,
		"http://127.evil.example":    false,
		"http://0.0.0.0:8080":        false,
		"ftp://127.0.0.1":            false,
		"http://localhost.evil.nl:1": false,
	} {
		if err := checkLoopback(url); (err == nil) != ok {
			t.Errorf("%s: err %v, want allowed=%v", url, err, ok)
		}
	}
}
