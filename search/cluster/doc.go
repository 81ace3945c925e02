// Package cluster groups photo embeddings into visual groups and orders
// photos so that look-alikes sit next to each other. It works on plain
// vectors (L2-normalised, so a dot product is the cosine similarity) and
// knows nothing about catalogs or stores; search/engine feeds it.
//
// Every function is deterministic: the same input gives the same groups in
// the same order, so a view does not reshuffle when it is recomputed.
package cluster
