"""Which compose service each documented service is: by name, folder, or image. Never a guess."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from verifier.compose.model import ComposeProject, ComposeService
from verifier.model import DocumentModel, ServiceSpec


@dataclass(frozen=True)
class ServiceMatch:
    documented: ServiceSpec
    compose: ComposeService | None
    how: str  # "name", "folder", "image"; or why there is no match
    candidates: tuple[str, ...] = ()  # several compose services fit: ambiguous


@dataclass(frozen=True)
class ServiceMapping:
    matches: tuple[ServiceMatch, ...]
    undocumented: tuple[ComposeService, ...]

    def compose_service(self, name: str) -> ComposeService | None:
        return next((m.compose for m in self.matches if m.compose and m.compose.name == name),
                    next((s for s in self.undocumented if s.name == name), None))

    def compose_name(self, documented: str) -> str | None:
        return next((m.compose.name for m in self.matches if m.documented.name == documented and m.compose), None)


def map_services(document: DocumentModel, project: ComposeProject) -> ServiceMapping:
    matches = [_match(service, project) for service in document.services]
    taken = {m.compose.name for m in matches if m.compose is not None}
    taken |= {c for m in matches for c in m.candidates}
    undocumented = tuple(s for name, s in project.services.items() if name not in taken)
    return ServiceMapping(tuple(matches), undocumented)


def _match(service: ServiceSpec, project: ComposeProject) -> ServiceMatch:
    if service.name in project.services:
        return ServiceMatch(service, project.services[service.name], "name")
    for how, fits in (("folder", _same_folder), ("image", _same_image)):
        found = [c for c in project.services.values() if fits(service, c)]
        if len(found) == 1:
            return ServiceMatch(service, found[0], how)
        if len(found) > 1:
            return ServiceMatch(service, None, f"several compose services share its {how}",
                                tuple(sorted(c.name for c in found)))
    return ServiceMatch(service, None, "no compose service has its name, folder or image")


def _same_folder(service: ServiceSpec, compose: ComposeService) -> bool:
    folder = service.source_dir or (service.build.context if service.build and service.build.context else None)
    if not folder or not compose.build_context:
        return False
    wanted = PurePath(folder.strip("/").removeprefix("./")).parts
    return bool(wanted) and PurePath(compose.build_context).parts[-len(wanted):] == wanted


def _same_image(service: ServiceSpec, compose: ComposeService) -> bool:
    return bool(service.image and compose.image and _image_key(service.image.value) == _image_key(compose.image))


def _image_key(image: str) -> str:
    return image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"
