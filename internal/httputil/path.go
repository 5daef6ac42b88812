package httputil

import "net/url"

// PathSegment writes s as one segment of a URL path, the escaping the
// README documents for request ids in /requests/{id} and
// /api/v1/requests/{id}: every byte but letters, digits and -._~ (and the
// few sub-delimiters a path allows) is percent-encoded, as url.PathEscape
// and JavaScript's encodeURIComponent do, and an id that is "." or ".." has
// its dots written %2E. Clients and servers remove dot segments from a path
// (RFC 3986, section 5.2.4), so that escaping is the only way such an id
// reaches slad.
func PathSegment(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(s)
}

// RequestPath writes a request's address below /requests/ and
// /api/v1/requests/: its provider and its id, each one escaped segment
// (a request is its provider's; another provider may use the same id).
func RequestPath(provider, id string) string {
	return PathSegment(provider) + "/" + PathSegment(id)
}
