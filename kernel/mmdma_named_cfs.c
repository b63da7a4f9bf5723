// SPDX-License-Identifier: GPL-2.0
/*
 * mmdma: configfs front end of named buffers, after null_blk and the PCI
 * endpoint framework: the administrator makes a directory, writes its
 * attributes, then enables it.
 *
 *   mkdir /sys/kernel/config/mmdma/NAME
 *   echo 1M > size; echo contig > kind; echo wc > cache
 *   echo mmdma-edu0 > device          (optional; coherent memory needs it)
 *   echo 1 > enable                   (the buffer and /dev/mmdma-named/NAME)
 *   echo 0 > enable  or  rmdir NAME   (deleted; revoked if in use)
 *
 * The directory is root's (configfs makes it so): only root creates and
 * deletes.  Each directory holds a reference on the module (configfs), so
 * the module unloads only when none is left.  Without configfs in the
 * kernel (the debug kernel) this file builds to nothing and the named=
 * parameter is the only way to make named buffers.
 */
#include <linux/configfs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mmdma_named.h"

#if IS_ENABLED(CONFIG_CONFIGFS_FS)

/**
 * struct mmdma_named_item - one directory
 * @item: the configfs item
 * @lock: protects @spec and @nb
 * @spec: the attributes written so far
 * @nb:   the buffer while enabled (a reference is held), else NULL
 */
struct mmdma_named_item {
	struct config_item item;
	struct mutex lock;
	struct mmdma_named_spec spec;
	struct mmdma_named *nb;
};

static struct mmdma_named_item *to_named_item(struct config_item *item)
{
	return container_of(item, struct mmdma_named_item, item);
}

/* Attributes change only while disabled: EBUSY after. */
static ssize_t mmdma_cfs_store(struct config_item *item, const char *page,
			       size_t len,
			       int (*set)(struct mmdma_named_spec *s, const char *v))
{
	struct mmdma_named_item *ni = to_named_item(item);
	int ret;

	mutex_lock(&ni->lock);
	ret = ni->nb ? -EBUSY : set(&ni->spec, page);
	mutex_unlock(&ni->lock);
	return ret ? ret : len;
}

static int mmdma_cfs_set_size(struct mmdma_named_spec *s, const char *v)
{
	char *end;
	u64 size = memparse(v, &end);

	if (end == v || (*end && *end != '\n') || !size)
		return -EINVAL;
	s->size = size;
	return 0;
}

static int mmdma_cfs_set_kind(struct mmdma_named_spec *s, const char *v)
{
	return mmdma_named_kind_parse(v, &s->kind);
}

static int mmdma_cfs_set_cache(struct mmdma_named_spec *s, const char *v)
{
	return mmdma_named_cache_parse(v, &s->cache);
}

static int mmdma_cfs_set_device(struct mmdma_named_spec *s, const char *v)
{
	size_t n = strcspn(v, "\n");

	if (n >= sizeof(s->device))
		return -EINVAL;
	memcpy(s->device, v, n);
	s->device[n] = '\0';
	return 0;
}

static ssize_t mmdma_cfs_size_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%llu\n", to_named_item(item)->spec.size);
}

static ssize_t mmdma_cfs_size_store(struct config_item *item,
				    const char *page, size_t len)
{
	return mmdma_cfs_store(item, page, len, mmdma_cfs_set_size);
}

static ssize_t mmdma_cfs_kind_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n",
			  mmdma_named_kind_name(to_named_item(item)->spec.kind));
}

static ssize_t mmdma_cfs_kind_store(struct config_item *item,
				    const char *page, size_t len)
{
	return mmdma_cfs_store(item, page, len, mmdma_cfs_set_kind);
}

static ssize_t mmdma_cfs_cache_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n",
			  mmdma_named_cache_name(to_named_item(item)->spec.cache));
}

static ssize_t mmdma_cfs_cache_store(struct config_item *item,
				     const char *page, size_t len)
{
	return mmdma_cfs_store(item, page, len, mmdma_cfs_set_cache);
}

static ssize_t mmdma_cfs_device_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n", to_named_item(item)->spec.device);
}

static ssize_t mmdma_cfs_device_store(struct config_item *item,
				      const char *page, size_t len)
{
	return mmdma_cfs_store(item, page, len, mmdma_cfs_set_device);
}

static ssize_t mmdma_cfs_enable_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", to_named_item(item)->nb ? 1 : 0);
}

static ssize_t mmdma_cfs_enable_store(struct config_item *item,
				      const char *page, size_t len)
{
	struct mmdma_named_item *ni = to_named_item(item);
	struct mmdma_named *nb;
	bool on;
	int ret;

	ret = kstrtobool(page, &on);
	if (ret)
		return ret;
	mutex_lock(&ni->lock);
	if (on && !ni->nb) {
		nb = mmdma_named_create(&ni->spec, true);
		if (IS_ERR(nb)) {
			ret = PTR_ERR(nb);
		} else {
			get_device(&nb->dev);
			ni->nb = nb;
		}
	} else if (!on && ni->nb) {
		mmdma_named_delete(ni->nb);
		put_device(&ni->nb->dev);
		ni->nb = NULL;
	}
	mutex_unlock(&ni->lock);
	return ret ? ret : len;
}

/* Names without the mmdma_cfs_ prefix: the files are size, kind, ... */
static struct configfs_attribute mmdma_cfs_attr_size = {
	.ca_name = "size", .ca_mode = 0644, .ca_owner = THIS_MODULE,
	.show = mmdma_cfs_size_show, .store = mmdma_cfs_size_store,
};
static struct configfs_attribute mmdma_cfs_attr_kind = {
	.ca_name = "kind", .ca_mode = 0644, .ca_owner = THIS_MODULE,
	.show = mmdma_cfs_kind_show, .store = mmdma_cfs_kind_store,
};
static struct configfs_attribute mmdma_cfs_attr_cache = {
	.ca_name = "cache", .ca_mode = 0644, .ca_owner = THIS_MODULE,
	.show = mmdma_cfs_cache_show, .store = mmdma_cfs_cache_store,
};
static struct configfs_attribute mmdma_cfs_attr_device = {
	.ca_name = "device", .ca_mode = 0644, .ca_owner = THIS_MODULE,
	.show = mmdma_cfs_device_show, .store = mmdma_cfs_device_store,
};
static struct configfs_attribute mmdma_cfs_attr_enable = {
	.ca_name = "enable", .ca_mode = 0644, .ca_owner = THIS_MODULE,
	.show = mmdma_cfs_enable_show, .store = mmdma_cfs_enable_store,
};

static struct configfs_attribute *mmdma_cfs_attrs[] = {
	&mmdma_cfs_attr_size,
	&mmdma_cfs_attr_kind,
	&mmdma_cfs_attr_cache,
	&mmdma_cfs_attr_device,
	&mmdma_cfs_attr_enable,
	NULL
};

/* After rmdir, when configfs lets go of the item: delete the buffer. */
static void mmdma_cfs_item_release(struct config_item *item)
{
	struct mmdma_named_item *ni = to_named_item(item);

	if (ni->nb) {
		mmdma_named_delete(ni->nb);
		put_device(&ni->nb->dev);
	}
	kfree(ni);
}

static struct configfs_item_operations mmdma_cfs_item_ops = {
	.release	= mmdma_cfs_item_release,
};

static const struct config_item_type mmdma_cfs_item_type = {
	.ct_item_ops	= &mmdma_cfs_item_ops,
	.ct_attrs	= mmdma_cfs_attrs,
	.ct_owner	= THIS_MODULE,
};

/* mkdir: EINVAL for a bad name, EEXIST for one a buffer has (named=). */
static struct config_item *mmdma_cfs_make_item(struct config_group *group,
					       const char *name)
{
	struct mmdma_named_item *ni;

	if (mmdma_named_name_ok(name))
		return ERR_PTR(-EINVAL);
	if (mmdma_named_exists(name))
		return ERR_PTR(-EEXIST);
	ni = kzalloc(sizeof(*ni), GFP_KERNEL);
	if (!ni)
		return ERR_PTR(-ENOMEM);
	mutex_init(&ni->lock);
	strscpy(ni->spec.name, name, sizeof(ni->spec.name));
	ni->spec.kind = MMDMA_MEM_PAGES;
	config_item_init_type_name(&ni->item, name, &mmdma_cfs_item_type);
	return &ni->item;
}

static struct configfs_group_operations mmdma_cfs_group_ops = {
	.make_item	= mmdma_cfs_make_item,
};

static const struct config_item_type mmdma_cfs_group_type = {
	.ct_group_ops	= &mmdma_cfs_group_ops,
	.ct_owner	= THIS_MODULE,
};

static struct configfs_subsystem mmdma_cfs_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf	= "mmdma",
			.ci_type	= &mmdma_cfs_group_type,
		},
	},
};

int mmdma_named_cfs_init(void)
{
	config_group_init(&mmdma_cfs_subsys.su_group);
	mutex_init(&mmdma_cfs_subsys.su_mutex);
	return configfs_register_subsystem(&mmdma_cfs_subsys);
}

void mmdma_named_cfs_exit(void)
{
	configfs_unregister_subsystem(&mmdma_cfs_subsys);
}

#endif /* CONFIG_CONFIGFS_FS */
