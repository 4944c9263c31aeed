// Package chinook holds the benchmark's queries over the Chinook dataset:
// for each, the Strata (Hasura-shaped) GraphQL, the equivalent PostGraphile
// query, and the oracle SQL that computes the expected data.
package chinook

// Query is one benchmark query: its Strata (Hasura-shaped) GraphQL, the
// equivalent PostGraphile query, and an oracle: SQL that builds the expected
// `data` object in Strata's shape straight from the tables.
type Query struct {
	Name string
	// Small queries are held to the floor's requests/s; large ones to its p50.
	Small bool
	// Strata is the GraphQL request body's query and variables.
	Strata    string
	Variables map[string]any
	// Role, when set, runs the query as that role with UserID as
	// x-hasura-user-id (admin secret + x-hasura-role, Hasura's way).
	Role, UserID string
	// PostGraphile is the same query in PostGraphile 5's Amber schema,
	// aliased to Strata's field names where it can be.
	PostGraphile string
	// Normalize turns a PostGraphile `data` object into Strata's shape (after
	// connections' `nodes` are unwrapped); nil when unwrapping is enough.
	Normalize func(map[string]any) map[string]any
	// Oracle returns the expected `data` as one json value.
	Oracle string
	// Unfiltered, for a permission-filtered query, is the oracle without the
	// permission: a Strata answer equal to it means the engine does not
	// enforce the permission yet.
	Unfiltered string
}

// CustomerID is the customer whose invoices the permission query reads.
const CustomerID = "5"

// Queries are the benchmark's queries, in the order they run.
var Queries = []Query{
	{
		Name:  "by_pk",
		Small: true,
		Strata: `query TrackByPK($id: Int!) {
  track_by_pk(track_id: $id) { track_id name composer unit_price album { album_id title } }
}`,
		Variables: map[string]any{"id": 1},
		PostGraphile: `query TrackByPK($id: Int!) {
  track_by_pk: trackByTrackId(trackId: $id) {
    track_id: trackId name composer unit_price: unitPrice
    album: albumByAlbumId { album_id: albumId title }
  }
}`,
		Oracle: `SELECT json_build_object('track_by_pk', (
  SELECT json_build_object('track_id', t.track_id, 'name', t.name, 'composer', t.composer,
    'unit_price', t.unit_price,
    'album', (SELECT json_build_object('album_id', a.album_id, 'title', a.title) FROM album a WHERE a.album_id = t.album_id))
  FROM track t WHERE t.track_id = 1))`,
	},
	{
		Name:  "nested",
		Small: true,
		Strata: `query Nested {
  artist(order_by: {artist_id: asc}, limit: 10) {
    artist_id name
    albums(order_by: {album_id: asc}) {
      album_id title
      tracks(order_by: {track_id: asc}) { track_id name milliseconds }
    }
  }
}`,
		PostGraphile: `query Nested {
  artist: allArtists(orderBy: ARTIST_ID_ASC, first: 10) { nodes {
    artist_id: artistId name
    albums: albumsByArtistId(orderBy: ALBUM_ID_ASC) { nodes {
      album_id: albumId title
      tracks: tracksByAlbumId(orderBy: TRACK_ID_ASC) { nodes { track_id: trackId name milliseconds } }
    } }
  } }
}`,
		Oracle: `SELECT json_build_object('artist', coalesce((
  SELECT json_agg(json_build_object('artist_id', ar.artist_id, 'name', ar.name, 'albums', coalesce((
    SELECT json_agg(json_build_object('album_id', al.album_id, 'title', al.title, 'tracks', coalesce((
      SELECT json_agg(json_build_object('track_id', t.track_id, 'name', t.name, 'milliseconds', t.milliseconds) ORDER BY t.track_id)
      FROM track t WHERE t.album_id = al.album_id), '[]')) ORDER BY al.album_id)
    FROM album al WHERE al.artist_id = ar.artist_id), '[]')) ORDER BY ar.artist_id)
  FROM (SELECT * FROM artist ORDER BY artist_id LIMIT 10) ar), '[]'))`,
	},
	{
		Name:  "aggregate",
		Small: true,
		Strata: `query Aggregate {
  track_aggregate { aggregate { count avg { milliseconds unit_price } } }
}`,
		PostGraphile: `query Aggregate {
  track_aggregate: allTracks {
    count: totalCount
    aggregate: aggregates { avg: average { milliseconds unit_price: unitPrice } }
  }
}`,
		Normalize: func(d map[string]any) map[string]any {
			// PostGraphile's totalCount sits beside aggregates, not inside.
			ta, _ := d["track_aggregate"].(map[string]any)
			agg, _ := ta["aggregate"].(map[string]any)
			if agg != nil {
				agg["count"] = ta["count"]
				delete(ta, "count")
			}
			return d
		},
		Oracle: `SELECT json_build_object('track_aggregate', json_build_object('aggregate', json_build_object(
  'count', count(*), 'avg', json_build_object('milliseconds', avg(milliseconds), 'unit_price', avg(unit_price)))))
FROM track`,
	},
	{
		Name:   "permission",
		Small:  true,
		Role:   "customer",
		UserID: CustomerID,
		Strata: `query MyInvoices {
  invoice(order_by: {invoice_id: asc}) {
    invoice_id total billing_country
    invoice_lines(order_by: {invoice_line_id: asc}) { invoice_line_id track_id unit_price quantity }
  }
}`,
		PostGraphile: `query MyInvoices {
  invoice: allInvoices(orderBy: INVOICE_ID_ASC) { nodes {
    invoice_id: invoiceId total billing_country: billingCountry
    invoice_lines: invoiceLinesByInvoiceId(orderBy: INVOICE_LINE_ID_ASC) { nodes {
      invoice_line_id: invoiceLineId track_id: trackId unit_price: unitPrice quantity
    } }
  } }
}`,
		Oracle:     invoiceOracle("WHERE i.customer_id = " + CustomerID),
		Unfiltered: invoiceOracle(""),
	},
	{
		Name: "large",
		Strata: `query AllTracks {
  track(order_by: {track_id: asc}) { track_id name milliseconds unit_price album { title } genre { name } }
}`,
		PostGraphile: `query AllTracks {
  track: allTracks(orderBy: TRACK_ID_ASC) { nodes {
    track_id: trackId name milliseconds unit_price: unitPrice
    album: albumByAlbumId { title } genre: genreByGenreId { name }
  } }
}`,
		Oracle: `SELECT json_build_object('track', coalesce(json_agg(json_build_object(
  'track_id', t.track_id, 'name', t.name, 'milliseconds', t.milliseconds, 'unit_price', t.unit_price,
  'album', (SELECT json_build_object('title', a.title) FROM album a WHERE a.album_id = t.album_id),
  'genre', (SELECT json_build_object('name', g.name) FROM genre g WHERE g.genre_id = t.genre_id)
) ORDER BY t.track_id), '[]')) FROM track t`,
	},
}

func invoiceOracle(where string) string {
	return `SELECT json_build_object('invoice', coalesce((
  SELECT json_agg(json_build_object('invoice_id', i.invoice_id, 'total', i.total, 'billing_country', i.billing_country,
    'invoice_lines', coalesce((
      SELECT json_agg(json_build_object('invoice_line_id', l.invoice_line_id, 'track_id', l.track_id,
        'unit_price', l.unit_price, 'quantity', l.quantity) ORDER BY l.invoice_line_id)
      FROM invoice_line l WHERE l.invoice_id = i.invoice_id), '[]')) ORDER BY i.invoice_id)
  FROM invoice i ` + where + `), '[]'))`
}
