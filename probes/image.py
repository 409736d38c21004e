"""image: the container runs the documented image (a tag left out means `latest`)."""
from verifier.checks import Check, ImageTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, ImageTarget)
    wrong = [c for c in stack.containers(check.runs_as) if _tagged(c.image) != _tagged(target.image)]
    if wrong:
        return Observation(Status.FAIL, wrong[0].image, f"{wrong[0].name} runs {wrong[0].image}")
    return Observation(Status.PASS, target.image, f"runs {target.image}")


def _tagged(image: str) -> str:
    return image if "@" in image or ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"
