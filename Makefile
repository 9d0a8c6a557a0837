# Thin wrapper over meson + ninja.  `make test` is the README's test command.
.PHONY: all test demo bench clean

all:
	@./scripts/deps.sh
	@[ -f build/build.ninja ] || meson setup build >/dev/null
	@ninja -C build

test:
	@./scripts/test.sh

demo: all
	@echo "== uiommu run -- build/examples/ioas_demo"
	@./build/src/cli/uiommu run -- ./build/examples/ioas_demo
	@echo; echo "== uiommu run -- build/examples/mock_dma_demo"
	@./build/src/cli/uiommu run -- ./build/examples/mock_dma_demo
	@echo; echo "== uiommu run -- build/examples/vfio_dma_demo"
	@UIOMMU_DEVICES="unit vtd0 type=vtd pri; device vfio0 unit=vtd0 bdf=0:3.0 pri" \
	  ./build/src/cli/uiommu run -- ./build/examples/vfio_dma_demo

bench:
	@./scripts/deps.sh
	@[ -f build-release/build.ninja ] || \
	  meson setup build-release -Dbuildtype=release -Db_ndebug=true -Dwerror=false >/dev/null
	@ninja -C build-release >/dev/null
	@for b in build-release/bench/bench-*; do \
	  if [ -f "$$b" ] && [ -x "$$b" ]; then "$$b" || exit 1; fi; done

clean:
	rm -rf build build-asan build-release build-fuzz build*.log
