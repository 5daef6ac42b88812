package store

import (
	"slices"
	"time"
)

// Gathering callers into a group commit.
//
// A commit costs the writer a share that does not depend on how many
// events it takes in: a write of each page it dirtied (the leaves of the
// events, ids, records and indexes, and every branch above them), the
// meta page, the fsync. Concurrent single-event callers on a machine whose
// cores are busy with their HTTP requests come to the writer a few at a
// time, so that the writer, taking whatever is queued the moment it is
// free, commits groups of a fraction of the callers about. Holding a
// small group back until as many callers as the largest recent group held
// have joined it, for at most as long as a commit takes, makes them share
// one commit, and the CPU it saves goes to answering them
// (docs/performance.md, single-event ingest, gives the sizes and rates).
// PostgreSQL's commit_delay does the same, with a fixed delay and
// threshold to set; here both follow the load.
//
// A caller that is alone is never held: a group waits only while one of
// the last gatherMemory groups took two callers or more, and then no
// longer than the last commit took; after a busy spell, the next
// gatherMemory groups may each wait that long for callers who do not
// come. A large group (gatherBelow events, an import's batches) already
// spreads its commit's cost, and holding it would only leave the writer
// idle.
const (
	gatherMemory = 16               // groups whose size sets how many callers to wait for
	gatherBelow  = 256              // events from which a group goes as it is
	gatherAtMost = time.Millisecond // the longest a group waits, whatever a commit took
)

// callers remembers how many batches the last groups took in: how many
// callers are about.
type callers struct {
	sizes [gatherMemory]int
	next  int
}

// seen notes the number of batches of a group handed to the writer.
func (c *callers) seen(batches int) {
	c.sizes[c.next%gatherMemory] = batches
	c.next++
}

// about returns the most batches one of the last groups took in.
func (c *callers) about() int {
	return slices.Max(c.sizes[:])
}

// wait reports whether a group of batches and events should wait for more
// callers before it goes to the writer: it is not yet as large as recent
// groups were, takes fewer than gatherBelow events, and has room for more
// (maxBatch).
func (c *callers) wait(batches, events, maxBatch int) bool {
	want := c.about()
	return want >= 2 && batches < want && events < min(gatherBelow, maxBatch)
}

// gatherFor is how long a group may wait for callers: the time the last
// commit took (lastCommit), within gatherAtMost, so that a caller held
// waits at most about one commit more than it would have.
func gatherFor(lastCommit time.Duration) time.Duration {
	if lastCommit <= 0 {
		return gatherAtMost
	}
	return min(lastCommit, gatherAtMost)
}
