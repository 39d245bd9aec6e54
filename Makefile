.PHONY: demo test
# Builds everything and serves the demo site + snippet + collector on http://127.0.0.1:8787
demo:
	bash scripts/demo.sh
# Every check and test, ending with "N passed, N failed"
test:
	bash scripts/test.sh
