import django.db.models
from django.db import migrations, models

import layers.models.geography


def fill_public_ids(apps, schema_editor):
    """Every existing release gets its own random public id (a default would give all
    of them the same one)."""
    Release = apps.get_model("layers", "Release")
    for release_id in Release.objects.values_list("id", flat=True):
        Release.objects.filter(id=release_id).update(
            public_id=layers.models.geography.new_public_id()
        )


class Migration(migrations.Migration):
    dependencies = [("layers", "0012_apitoken_agency")]

    operations = [
        migrations.AddField(
            model_name="release",
            name="public_id",
            field=models.CharField(max_length=16, null=True, editable=False),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="release",
            name="public_id",
            field=models.CharField(
                default=layers.models.geography.new_public_id,
                editable=False,
                max_length=16,
                unique=True,
            ),
        ),
    ]
