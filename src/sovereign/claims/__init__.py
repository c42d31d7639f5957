"""The claims stage: checkable statements extracted from the kept papers, each tied to its
source span (`stage`), scored for relevance to the question (`relevance`) and verified against
the nearest evidence of the other kept papers (`verifier`, on the features of
`verifier_features`; `verifier_data` reads the claim-verification sets it is measured on)."""

__all__ = ["relevance", "settings", "stage", "verifier"]
