"""Pose data: one file per exercise, checked at load, and figures that rest on what they should."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.pictures.scene import build_scene, contact_gap, lowest_point, support_level
from bot.pictures.skeleton import front_of
from content.poses import POSES_DIR, PoseError, PoseSet, flexion, load_pose_set
from content.schema import Library, Position

# Half a centimetre is about two pixels at the scale the cards are drawn.
TOLERANCE_CM = 0.6


def test_every_exercise_has_exactly_one_pose_file(
    library: Library, poses: dict[str, PoseSet]
) -> None:
    assert sorted(poses) == sorted(exercise.id for exercise in library.exercises)
    # The article's twelve, and a drawing for each standing or seated form of them.
    assert len(poses) == len(library.exercises) == 14


def test_every_position_rests_on_the_floor_or_mat(poses: dict[str, PoseSet]) -> None:
    for pose_set in poses.values():
        for index in range(len(pose_set.frames)):
            lowest = lowest_point(pose_set, index)
            assert lowest == pytest.approx(support_level(pose_set), abs=1e-6), (pose_set.id, index)


def test_declared_contacts_touch_their_surface(poses: dict[str, PoseSet]) -> None:
    checked = 0
    for pose_set in poses.values():
        scene = build_scene(pose_set)
        for index, frame in enumerate(pose_set.frames):
            assert frame.contacts, f"{pose_set.id} frame {index} declares no contact"
            for contact in frame.contacts:
                gap = contact_gap(scene, index, contact.part, contact.on)
                assert abs(gap) <= TOLERANCE_CM, (pose_set.id, index, contact.part, contact.on, gap)
                checked += 1
    assert checked > 40


def test_props_sit_where_the_article_puts_them(poses: dict[str, PoseSet]) -> None:
    ball = build_scene(poses["ball_back_extension"])
    assert ball.ball is not None and 20 <= ball.ball.radius <= 40
    pelvis = ball.placed[0].body.points["pelvis"]
    assert abs(ball.ball.centre.x - pelvis.x) < 12, "the ball must be under the pelvis"
    assert ball.wall_x is not None
    for index in range(2):
        assert contact_gap(ball, index, "near_foot", "wall") == pytest.approx(0, abs=TOLERANCE_CM)

    roller = build_scene(poses["glute_roll"])
    assert roller.roller is not None and 5 <= roller.roller.radius <= 9
    assert abs(roller.roller.centre.x - roller.placed[0].body.points["pelvis"].x) < 12

    bell = build_scene(poses["kettlebell_lift"])
    start, lifted = (placed.kettlebell for placed in bell.placed)
    assert start is not None and lifted is not None
    assert start.bottom() == pytest.approx(0, abs=TOLERANCE_CM), "the bell starts on the floor"
    assert 10 <= lifted.bottom() - start.bottom() <= 20, "the article lifts it about 15 cm"


def _face(pose_set: PoseSet, index: int) -> tuple[float, float]:
    """Return the direction the face points in a position."""
    direction = front_of(pose_set.frames[index].spine[2])
    return direction.x, direction.y


def test_figure_lies_sits_or_stands_as_the_exercise_says(
    library: Library, poses: dict[str, PoseSet]
) -> None:
    for exercise in library.exercises:
        pose_set = poses[exercise.id]
        scene = build_scene(pose_set)
        body = scene.placed[0].body
        _, face_y = _face(pose_set, 0)
        if exercise.position in (
            Position.PRONE,
            Position.QUADRUPED,
            Position.PLANK,
            Position.ON_BALL,
        ):
            assert face_y < -0.3, f"{exercise.id}: the face must point at the floor"
        if exercise.position is Position.PRONE:
            assert body.part_bottom("chest") - scene.support < TOLERANCE_CM, exercise.id
            assert body.part_bottom("hips") - scene.support < TOLERANCE_CM, exercise.id
        if exercise.position is Position.SUPINE:
            assert face_y > 0.3, f"{exercise.id}: lying on the back, the face points up"
            assert body.part_bottom("chest") - scene.support < TOLERANCE_CM, exercise.id
        if exercise.position is Position.STANDING:
            for part in ("near_foot", "far_foot"):
                assert body.part_bottom(part) - scene.support < TOLERANCE_CM, (exercise.id, part)
            assert body.points["pelvis"].y > 50, f"{exercise.id}: on the feet, not sitting"
            assert body.points["head"].y > body.points["pelvis"].y
        if exercise.position is Position.QUADRUPED:
            for part in ("near_hand", "near_thigh"):
                assert body.part_bottom(part) - scene.support < TOLERANCE_CM, (exercise.id, part)
        if exercise.at_desk and exercise.position is Position.SEATED:
            _sits_on_a_chair(exercise.id, pose_set)


def _sits_on_a_chair(exercise_id: str, pose_set: PoseSet) -> None:
    """Seated at a desk: on a chair's seat at chair height, feet flat on the floor, upright."""
    scene = build_scene(pose_set)
    assert scene.chair is not None, f"{exercise_id}: a desk exercise sits on a chair"
    assert 35 <= scene.chair.seat_y <= 55, f"{exercise_id}: a chair's seat is 35-55 cm high"
    assert scene.mat is None, f"{exercise_id}: nothing on the floor at a desk"
    for index, placed in enumerate(scene.placed):
        body = placed.body
        assert contact_gap(scene, index, "hips", "chair") == pytest.approx(0, abs=TOLERANCE_CM)
        for part in ("near_foot", "far_foot"):
            assert body.part_bottom(part) - scene.support < TOLERANCE_CM, (exercise_id, part)
        pelvis = body.points["pelvis"]
        assert scene.chair.left < pelvis.x < scene.chair.right, "the pelvis is over the seat"
        assert body.points["head"].y > body.points["pelvis"].y + 40, "sitting up, not lying"
        assert body.points["near_knee"].x > scene.chair.right, "the knees reach past the seat"


def test_desk_exercises_are_drawn_on_their_feet_or_on_a_chair(
    library: Library, poses: dict[str, PoseSet]
) -> None:
    """Every exercise the stretch nudge can start is drawn standing, or sitting on a chair."""
    desk = [e for e in library.exercises if e.at_desk]
    assert {e.position for e in desk} == {Position.STANDING, Position.SEATED}
    for exercise in desk:
        scene = build_scene(poses[exercise.id])
        assert scene.mat is None and scene.ball is None and scene.roller is None, exercise.id
        if exercise.position is Position.SEATED:
            assert scene.chair is not None, exercise.id
        else:
            assert scene.chair is None, exercise.id
            assert scene.placed[0].body.points["pelvis"].y > 50, exercise.id


def test_the_chest_lift_shows_its_bent_arms(poses: dict[str, PoseSet]) -> None:
    # "Chest lift with bent arms": the elbow is clearly bent in both positions, hands by the
    # head; lifted, the upper arm is drawn near full length, elbow and hands off the mat.
    pose_set = poses["chest_lift"]
    scene = build_scene(pose_set)
    for index, frame in enumerate(pose_set.frames):
        upper_arm, forearm, _ = frame.near_arm
        assert flexion(upper_arm, forearm, "elbow") >= 90, index
        body = scene.placed[index].body
        assert abs(body.points["near_fingers"].x - body.head.x) < 15, index
    lifted = scene.placed[1].body
    assert pose_set.frames[1].length("near_upper_arm") >= 0.8
    assert lifted.capsule("near_upper_arm").bottom() - scene.support > 3
    assert lifted.capsule("near_hand").bottom() - scene.support > 10


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _valid() -> dict[str, object]:
    data = yaml.safe_load((POSES_DIR / "glute_bridge.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_a_valid_copy_loads(tmp_path: Path) -> None:
    assert load_pose_set(_write(tmp_path, "glute_bridge", _valid())).id == "glute_bridge"


def test_a_knee_bent_backwards_names_file_and_field(tmp_path: Path) -> None:
    data = _valid()
    frames = data["frames"]
    assert isinstance(frames, list)
    frames[1]["near_leg"] = [25, 80, 0]  # shin swung up past the thigh: a knee bending backwards
    path = _write(tmp_path, "glute_bridge", data)
    with pytest.raises(PoseError) as caught:
        load_pose_set(path)
    message = str(caught.value)
    assert str(path) in message
    assert "frames.1" in message and "near_leg" in message and "knee" in message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d["frames"][0].update(spine=[180, 180]), "frames.0.spine"),
        (lambda d: d["frames"][0].update(label=""), "frames.0.label"),
        (lambda d: d["frames"][1]["arrows"][0].update(point="tail"), "frames.1.arrows.0.point"),
        (lambda d: d.update(frames=d["frames"][:1]), "frames"),
        (lambda d: d["frames"][1].update(ghost=7), "frames.1.ghost"),
        (
            lambda d: d["frames"][0]["contacts"].append({"part": "head", "on": "ball"}),
            "frames.0.contacts",
        ),
    ],
)
def test_a_broken_field_is_named(tmp_path: Path, change: object, field: str) -> None:
    data = _valid()
    assert callable(change)
    change(data)
    path = _write(tmp_path, "glute_bridge", data)
    with pytest.raises(PoseError, match=field.replace(".", r"\.")) as caught:
        load_pose_set(path)
    assert str(path) in str(caught.value)


def test_file_name_must_match_id(tmp_path: Path) -> None:
    with pytest.raises(PoseError, match="id"):
        load_pose_set(_write(tmp_path, "cobra", _valid()))


def test_unreadable_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cobra.yaml"
    path.write_text("frames: [\n", encoding="utf-8")
    with pytest.raises(PoseError, match=r"cobra\.yaml"):
        load_pose_set(path)
