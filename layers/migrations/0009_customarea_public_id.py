# Custom areas get a random public id: their code in URLs and in values (`custom-<id>`),
# so codes do not reveal how many areas other agencies have drawn, or in what order.
# Three steps, the usual way to add a unique field with a callable default to a table
# that may already have rows.

from django.db import migrations, models

import layers.models.geography


def fill_public_ids(apps, schema_editor):
    CustomArea = apps.get_model("layers", "CustomArea")
    for custom in CustomArea.objects.filter(public_id__isnull=True):
        custom.public_id = layers.models.geography.new_public_id()
        custom.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0008_ward_method_indicator_slugs"),
    ]

    operations = [
        migrations.AddField(
            model_name="customarea",
            name="public_id",
            field=models.CharField(max_length=16, null=True),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="customarea",
            name="public_id",
            field=models.CharField(
                default=layers.models.geography.new_public_id, max_length=16, unique=True
            ),
        ),
    ]
