// Package prf turns a confusion count into precision, recall and F1, for
// the quality tests that measure extraction and classification.
package prf

// Scores returns the precision, recall and F1 of tp true positives, fp false
// positives and fn false negatives; each is 0 where its denominator is 0.
func Scores(tp, fp, fn int) (p, r, f float64) {
	if tp+fp > 0 {
		p = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		r = float64(tp) / float64(tp+fn)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}
