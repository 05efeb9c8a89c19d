package story

import (
	"math"
	"time"
)

// The join decision is a logistic regression over a few general features
// of an item and a candidate story, after Miranda et al. (2018), who learn
// it rather than thresholding one similarity: a single cosine against a
// story's whole history lets a developing story swallow each next
// development. The coefficients are fitted offline on labelled items
// (STORY_TRAIN=1 go test -run TestTrain ./story) and pasted below.

const nFeatures = 7

// features of an item against a candidate story; see joinFeatures.
type features [nFeatures]float64

var featureNames = [nFeatures]string{
	"cos", "cos_recent", "cos_title", "novel", "log_gap_h", "log_span_h", "cos_both",
}

// logit is a logistic regression: P = 1/(1+exp(-(bias + w·x))).
type logit struct {
	bias float64
	w    features
}

func (m *logit) prob(x *features) float64 {
	z := m.bias
	for i, v := range x {
		z += m.w[i] * v
	}
	return 1 / (1 + math.Exp(-z))
}

// joinModel is the fitted join model: three rounds of self-training on
// realweek's 18 and 19 September plus uci-dev at a tenth of the weight
// (STORY_TRAIN_DAYS=2023-09-18,2023-09-19); 20 and 21 September held out.
var joinModel = logit{
	bias: 0.651,
	w:    features{1.558, 1.500, 1.276, -2.264, -0.404, -0.602, 1.421},
}

// joinFeatures computes the features of an item (k distinct terms; squared
// norm of its title part) against story st, dt after or before the story's
// span, published at t.
func joinFeatures(o overlap, st *storyState, k int, titleSq float64, dt, t int64) features {
	var x features
	if st.normSq > 0 {
		norm := math.Sqrt(st.normSq)
		x[0] = o.dot / norm
		if titleSq > 0 {
			x[2] = o.title / (math.Sqrt(titleSq) * norm)
		}
	}
	if st.recentSq > 0 {
		x[1] = o.recent / math.Sqrt(st.recentSq)
	}
	x[3] = max(0, 1-o.covered) // the item's vector has unit norm
	x[4] = math.Log1p(float64(dt) / float64(time.Hour))
	// The span the story would cover with the item, whichever side the
	// item falls on: feeds arrive in any order.
	x[5] = math.Log1p(float64(max(st.last, t)-min(st.first, t)) / float64(time.Hour))
	// Body and title must agree: the geometric mean of the two cosines is
	// small when either is, where their sum is not (a long summary that
	// shares the story's words under an unrelated headline, or the reverse).
	x[6] = math.Sqrt(x[0] * x[2])
	return x
}
