package datasets

// The row types of addlink's Parquet datasets. Column names are those of the reference
// pipeline's TSV outputs (the test fixtures under reference/, internal/testfixtures) so
// that `addlink cat --format tsv` output can be compared with them directly.

// Anchor is one (anchor, target) pair of <wiki>.anchors.parquet: n is the number of
// distinct (page, anchor, target) links. Sorted by anchor, then target.
type Anchor struct {
	Anchor string `parquet:"anchor"`
	Target string `parquet:"target"`
	N      int64  `parquet:"n"`
}

// AnchorStat is one row of <wiki>.anchors_stats.parquet. Sorted by anchor.
type AnchorStat struct {
	Anchor   string  `parquet:"anchor"`
	AsLink   int64   `parquet:"aslink"`
	AsText   int64   `parquet:"astext"`
	LinkProb float64 `parquet:"linkprob"`
	Kept     int64   `parquet:"kept"`
}

// PageID is one row of <wiki>.pageids.parquet. Sorted by title.
type PageID struct {
	Title  string `parquet:"title"`
	PageID int64  `parquet:"page_id"`
}

// Redirect is one row of <wiki>.redirects.parquet. Sorted by from.
type Redirect struct {
	From string `parquet:"from"`
	To   string `parquet:"to"`
}

// Embedding is one row of <wiki>.w2vfiltered.parquet. Sorted by title.
type Embedding struct {
	Title  string    `parquet:"title"`
	Vector []float32 `parquet:"vector,list"`
}

// WDProperty is one row of <wiki>.wdproperties.parquet. Sorted by page_id, then qid.
type WDProperty struct {
	PageID int64  `parquet:"page_id"`
	QID    string `parquet:"qid"`
}

// TrainingRow is one row of training/link_train.parquet, the Parquet form of
// link_train.csv, in the same order.
type TrainingRow struct {
	Page     string  `parquet:"page"`
	Mention  string  `parquet:"mention"`
	Target   string  `parquet:"target"`
	NGram    int64   `parquet:"ngram"`
	Freq     int64   `parquet:"freq"`
	Ambig    int64   `parquet:"ambig"`
	Kurtosis float64 `parquet:"kurtosis"`
	W2V      float32 `parquet:"w2v"`
	Jaro     float64 `parquet:"jaro"`
	Label    bool    `parquet:"label"`
}

// Link is one row of <wiki>.linkgraph.parquet: an article (page_id) links the article
// target_id (redirects resolved, self-links and repeats dropped). Rows come in dump
// order of the linking article, then in the order of its links.
type Link struct {
	PageID   int64 `parquet:"page_id"`
	TargetID int64 `parquet:"target_id"`
}
