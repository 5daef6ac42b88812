// Package store keeps slad's state in one bbolt file.
package store

// Store is slad's database.
type Store struct {
	outboxChanged chan struct{}
}
