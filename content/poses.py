"""Pose data for the exercise drawings: a side-view skeleton per key position.

Each ``content/poses/<exercise id>.yaml`` describes the figure in each key
position as the direction every body segment points (degrees, 0 = to the
right, 90 = up), so one set of segment lengths keeps every drawing in
proportion. Joint limits are checked here, at load, so a knee or elbow can
never be drawn bending the wrong way; a broken file names the file and field.

Convention: the figure's front is on the right of each segment direction
turned clockwise by 90 degrees (a person standing and facing right), which
means the viewer always sees the figure's right side: ``near`` limbs are the
right arm and leg, ``far`` limbs the left ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from content.catalog import SOURCE_LANGUAGE, Translator

POSES_DIR = Path(__file__).resolve().parent / "poses"

Angle = Annotated[float, Field(ge=-360, le=360, strict=False, allow_inf_nan=False)]
Triple = Annotated[tuple[Angle, Angle, Angle], Field(strict=False)]
Pair = Annotated[tuple[float, float], Field(strict=False)]
Label = Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[^\n]+$")]

SegmentName = Literal[
    "near_upper_arm",
    "near_forearm",
    "near_hand",
    "far_upper_arm",
    "far_forearm",
    "far_hand",
    "near_thigh",
    "near_shin",
    "near_foot",
    "far_thigh",
    "far_shin",
    "far_foot",
]
SEGMENTS: tuple[SegmentName, ...] = SegmentName.__args__  # type: ignore[attr-defined]
# Parts that can rest on a surface: limb segments, the trunk (or its hips or chest), head, weight.
PartName = SegmentName | Literal["torso", "hips", "chest", "head", "kettlebell"]
PointName = Literal[
    "pelvis",
    "waist",
    "neck_base",
    "shoulder",
    "head",
    "near_elbow",
    "near_wrist",
    "near_fingers",
    "far_elbow",
    "far_wrist",
    "far_fingers",
    "near_knee",
    "near_ankle",
    "near_toe",
    "far_knee",
    "far_ankle",
    "far_toe",
    "kettlebell",
]
Surface = Literal["ground", "ball", "roller", "wall", "chair"]
# A chair is the seat of the desk exercises done sitting (bot/pictures/chair.py draws it).
PropKind = Literal["mat", "ball", "wall", "kettlebell", "roller", "chair"]

# (joint, proximal segment index, distal segment index, low, high) in degrees of flexion.
# A negative angle is bending backwards; a few degrees are allowed for soft joints.
_ARM_LIMITS = (("elbow", 0, 1, -5.0, 165.0), ("wrist", 1, 2, -95.0, 100.0))
_LEG_LIMITS = (("knee", 0, 1, -5.0, 165.0), ("ankle", 1, 2, 0.0, 135.0))
_ARM_SEGMENTS = ("upper_arm", "forearm", "hand")
# Foreshortened segments (turned towards the viewer) no longer show their true bend.
_FORESHORTENED = 0.9
# Left and right limbs pointing further apart than this (degrees) in some position make
# an exercise "sided": its card then says which colour is which side.
SIDE_DIFFERENCE = 15.0


def wrap(angle: float) -> float:
    """Map an angle to [-180, 180) so joint bends compare without 360-degree jumps."""
    return (angle + 180.0) % 360.0 - 180.0


def flexion(proximal: float, distal: float, joint: str) -> float:
    """Return how far a joint is bent, positive the way it naturally bends."""
    if joint in ("elbow", "wrist"):
        # Forearm and hand bend towards the front: counter-clockwise of the segment above.
        return wrap(distal - proximal)
    if joint == "knee":
        return wrap(proximal - distal)
    # Ankle: 90 is a right-angled foot; small values point the toes, large ones pull them up.
    return wrap(distal - proximal) % 360.0


class PoseError(ValueError):
    """A pose file is missing, unreadable or fails a check; the message names file and field."""


class Strict(BaseModel):
    """Base for pose models: unknown keys are errors, values never change after load."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Contact(Strict):
    """A body part that must rest on a surface in this key position (checked by tests)."""

    part: PartName
    on: Surface = "ground"


class Arrow(Strict):
    """A movement arrow from a point in the ghosted position to the same point now."""

    point: PointName
    bend: Annotated[float, Field(ge=-1, le=1, strict=False)] = 0.25
    shift: Pair = (0.0, 0.0)  # cm, to keep the arrow clear of the body
    both_ways: bool = False  # for back-and-forth movements such as rolling


class Note(Strict):
    """A short callout drawn next to a point, such as which arm is lifted."""

    text: Annotated[str, Field(min_length=1, max_length=32)]
    at: PointName
    offset: Pair = (0.0, 0.0)  # cm from the point to the middle of the callout
    leader: bool = True  # draw a line to the point; off for remarks about the whole pose


class Frame(Strict):
    """One key position: where every segment points, what rests where, how it moves."""

    label: Label
    root_x: Annotated[float, Field(ge=-300, le=300, strict=False)] = 0.0
    spine: Triple  # lumbar (hip to waist), thoracic (waist to neck base), neck (to head)
    near_arm: Triple  # upper arm, forearm, hand
    far_arm: Triple | None = None  # defaults to the near arm
    near_leg: Triple  # thigh, shin, foot
    far_leg: Triple | None = None  # defaults to the near leg
    scale: dict[SegmentName, Annotated[float, Field(ge=0.15, le=1.0, strict=False)]] = {}
    contacts: list[Contact] = []
    ghost: int | Literal["previous", "none"] = "previous"
    arrows: list[Arrow] = []
    notes: list[Note] = []

    def arm(self, side: Literal["near", "far"]) -> tuple[float, float, float]:
        """Return the arm angles for a side, the far arm copying the near one if omitted."""
        if side == "far" and self.far_arm is not None:
            return self.far_arm
        return self.near_arm

    def leg(self, side: Literal["near", "far"]) -> tuple[float, float, float]:
        """Return the leg angles for a side, the far leg copying the near one if omitted."""
        if side == "far" and self.far_leg is not None:
            return self.far_leg
        return self.near_leg

    def sides_differ(self, degrees: float = SIDE_DIFFERENCE) -> bool:
        """Return whether the left and right arm, or leg, point differently here."""
        arms = zip(self.arm("near"), self.arm("far"), strict=True)
        legs = zip(self.leg("near"), self.leg("far"), strict=True)
        return any(abs(wrap(near - far)) > degrees for near, far in (*arms, *legs))

    def length(self, segment: str) -> float:
        """Return the foreshortening factor of a segment (1 when drawn at full length).

        A far limb given no angles of its own copies the near limb, scale included.
        """
        scales: dict[str, float] = {str(name): value for name, value in self.scale.items()}
        if segment in scales:
            return scales[segment]
        copied = self.far_arm is None if segment.endswith(_ARM_SEGMENTS) else self.far_leg is None
        if segment.startswith("far_") and copied:
            return scales.get("near_" + segment.removeprefix("far_"), 1.0)
        return 1.0

    @model_validator(mode="after")
    def _joints_bend_the_right_way(self) -> Frame:
        """Reject elbows, knees, wrists or ankles bent past what a body can do."""
        limbs = (
            ("near_arm", "near", self.near_arm, _ARM_LIMITS, ("upper_arm", "forearm", "hand")),
            ("far_arm", "far", self.arm("far"), _ARM_LIMITS, ("upper_arm", "forearm", "hand")),
            ("near_leg", "near", self.near_leg, _LEG_LIMITS, ("thigh", "shin", "foot")),
            ("far_leg", "far", self.leg("far"), _LEG_LIMITS, ("thigh", "shin", "foot")),
        )
        for field, side, angles, limits, names in limbs:
            for joint, upper, lower, low, high in limits:
                scales = (
                    self.length(f"{side}_{names[upper]}"),
                    self.length(f"{side}_{names[lower]}"),
                )
                if min(scales) < _FORESHORTENED:
                    continue
                bend = flexion(angles[upper], angles[lower], joint)
                if not low <= bend <= high:
                    raise ValueError(
                        f"{field}: {side} {joint} bent {bend:.0f}°, outside {low:.0f}..{high:.0f}°"
                        " (check the segment directions)"
                    )
        spine_bend = wrap(self.spine[1] - self.spine[0])
        if not -50 <= spine_bend <= 60:
            raise ValueError(f"spine: back bent {spine_bend:.0f}° between lumbar and thoracic")
        neck_bend = wrap(self.spine[2] - self.spine[1])
        if not -70 <= neck_bend <= 80:
            raise ValueError(f"spine: neck bent {neck_bend:.0f}° against the thoracic spine")
        return self


class Prop(Strict):
    """Equipment in the scene; its position is fitted to the figure by the renderer."""

    kind: PropKind
    # Ball and roller: horizontal offset (cm) from the pelvis; wall: which side of the feet;
    # chair: the seat's middle from the pelvis (the backrest is on the figure's back side).
    dx: Annotated[float, Field(ge=-60, le=60, strict=False)] = 0.0
    side: Literal["left", "right"] = "left"


class PoseSet(Strict):
    """All key positions of one exercise, with its props and how the card lays them out."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)]
    # The preferred arrangement of the panels; the card takes another one (rows, columns
    # or a 2 x 2 grid) when that draws the figure clearly larger (bot/pictures/card.py).
    layout: Literal["rows", "columns"] = "rows"
    far_shift: Pair = (0.0, 0.0)  # cm the far limbs are drawn off the near ones
    # Send the looping animation (bot/pictures/animation.py) instead of the still card:
    # for movements that the key positions alone do not make clear.
    animate: bool = False
    props: list[Prop] = []
    frames: Annotated[list[Frame], Field(min_length=2, max_length=4)]

    def has(self, kind: PropKind) -> bool:
        """Return whether the scene contains a prop of this kind."""
        return any(prop.kind == kind for prop in self.props)

    def sided(self) -> bool:
        """Return whether left and right limbs differ in some position (bird dog, not cobra)."""
        return any(frame.sides_differ() for frame in self.frames)

    def prop(self, kind: PropKind) -> Prop | None:
        """Return the first prop of this kind, if any."""
        return next((prop for prop in self.props if prop.kind == kind), None)

    def ghost_of(self, index: int) -> int | None:
        """Return the frame drawn faded behind frame ``index``, or ``None``."""
        ghost = self.frames[index].ghost
        if ghost == "none":
            return None
        if ghost == "previous":
            return index - 1 if index > 0 else None
        return ghost

    @model_validator(mode="after")
    def _consistent(self) -> PoseSet:
        """Catch references that would draw nothing or the wrong thing."""
        kinds = [prop.kind for prop in self.props]
        for kind in set(kinds):
            if kinds.count(kind) > 1:
                raise ValueError(f"props: {kind!r} appears twice")
        surfaces = {"ball": "ball", "roller": "roller", "wall": "wall", "chair": "chair"}
        for index, frame in enumerate(self.frames):
            ghost = frame.ghost
            if isinstance(ghost, int) and not 0 <= ghost < len(self.frames):
                raise ValueError(f"frames.{index}.ghost: no frame {ghost}")
            if isinstance(ghost, int) and ghost == index:
                raise ValueError(f"frames.{index}.ghost: a frame cannot ghost itself")
            if frame.arrows and self.ghost_of(index) is None:
                raise ValueError(f"frames.{index}.arrows: arrows need a ghosted frame to start at")
            for contact in frame.contacts:
                if contact.on in surfaces and surfaces[contact.on] not in kinds:
                    raise ValueError(f"frames.{index}.contacts: no {contact.on} prop in props")
                if contact.part == "kettlebell" and "kettlebell" not in kinds:
                    raise ValueError(f"frames.{index}.contacts: no kettlebell prop in props")
        if self.frames[0].arrows:
            raise ValueError("frames.0.arrows: the first frame has nothing to move from")
        return self


def _format_error(error: ValidationError) -> str:
    """Turn pydantic's report into 'field: message' lines."""
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "; ".join(lines)


def load_pose_set(path: Path, translator: Translator | None = None) -> PoseSet:
    """Read and check one pose file, naming the file and field on any error.

    With a ``translator``, the labels and notes drawn on the picture are its language's.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PoseError(f"{path}: cannot read pose data: {exc}") from exc
    if translator is not None:
        data = translator.translate(f"poses/{path.name}", data)
    try:
        pose_set = PoseSet.model_validate(data)
    except ValidationError as exc:
        raise PoseError(f"{path}: {_format_error(exc)}") from exc
    if pose_set.id != path.stem:
        raise PoseError(f"{path}: id: {pose_set.id!r} does not match the file name")
    return pose_set


def load_pose_sets(
    directory: Path | None = None, language: str = SOURCE_LANGUAGE
) -> dict[str, PoseSet]:
    """Load every pose file in ``directory`` (default ``content/poses``), keyed by id.

    ``language`` other than English draws its catalog's labels (the content root's).
    """
    root = directory if directory is not None else POSES_DIR
    paths = sorted(root.glob("*.yaml"))
    if not paths:
        raise PoseError(f"{root}: no pose files")
    translator = Translator(language, root.parent) if language != SOURCE_LANGUAGE else None
    return {path.stem: load_pose_set(path, translator) for path in paths}
